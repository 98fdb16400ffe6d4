import { render } from 'preact'
import { App } from './app'
import { takeLoginFromUrl } from './storage'
import './style.css'

const root = document.getElementById('app')
void takeLoginFromUrl().then((loginError) => {
  if (root != null) render(<App loginError={loginError} />, root)
})
