import { render } from 'preact'
import { App } from './app'
import { takeTokenFromUrl } from './storage'
import './style.css'

takeTokenFromUrl()
const root = document.getElementById('app')
if (root != null) render(<App />, root)
