// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IERC20Minimal {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title ATT rewards: senders' deposits pay mailbox nodes for mail that reached its recipient.
/// @notice protocols/rewards.md is the specification. A sender signs cumulative postage cheques
/// `Cheque{sender,node,cumulativeAmount}` to a node; each recipient signs cumulative delivery receipts
/// `Delivery{node,sender,recipient,cumulativeAmount}` (EIP-712, both). A claim pays the node
/// min(sum of the latest receipts, the cheque) minus what was already paid, out of the sender's
/// deposit, at most `epochCap` per sender per epoch. Anyone may submit a claim; the tokens go to
/// the node named in the cheque.
contract AttRewards {
    /// One recipient's receipt; its node and sender are those of the enclosing claim's cheque.
    struct Delivery {
        address recipient;
        uint256 cumulativeAmount;
        bytes signature; // 65 bytes r || s || v, v in {27, 28}, s in the lower half of the curve order
    }

    /// A cheque and the receipts of the recipients it paid for.
    struct Claim {
        address sender;
        address node;
        uint256 chequeAmount; // the cheque's cumulativeAmount
        bytes chequeSignature;
        Delivery[] deliveries;
    }

    struct Account {
        uint128 deposit;
        uint128 epochPaid; // paid out of the deposit during `epoch`
        uint64 epoch;
        uint128 withdrawalAmount;
        uint64 withdrawalUnlockAt; // unix seconds; 0 = no pending withdrawal
    }

    struct Channel {
        uint128 proven; // sum over recipients of claimed[sender][node][recipient]
        uint128 paid; // paid so far to node out of sender's deposit
    }

    bytes32 public constant CHEQUE_TYPEHASH =
        keccak256("Cheque(address sender,address node,uint256 cumulativeAmount)");
    bytes32 public constant DELIVERY_TYPEHASH =
        keccak256("Delivery(address node,address sender,address recipient,uint256 cumulativeAmount)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("ATT Rewards");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 n / 2: signatures with a larger s are refused (EIP-2), so each signature has one form.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant MAX_AMOUNT = type(uint128).max;

    IERC20Minimal public immutable token;
    /// Seconds between requestWithdrawal and withdraw: the window nodes have to claim outstanding cheques.
    uint64 public immutable withdrawalDelay;
    /// Length of a cap epoch in seconds (epoch = block.timestamp / epochLength).
    uint64 public immutable epochLength;
    /// Most that one sender's deposit pays out per epoch, across all nodes; 0 = no cap.
    uint128 public immutable epochCap;

    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomainSeparator;

    mapping(address => Account) private accounts;
    mapping(address => mapping(address => Channel)) private channels;
    mapping(address => mapping(address => mapping(address => uint256))) private claimedAmounts;

    event Deposited(address indexed sender, uint256 amount, uint256 deposit);
    event WithdrawalRequested(address indexed sender, uint256 amount, uint256 unlockAt);
    event Withdrawn(address indexed sender, uint256 amount, uint256 deposit);
    event Claimed(address indexed sender, address indexed node, uint256 amount, uint256 proven, uint256 paid);

    error BadChequeSignature(address sender, address node);
    error BadDeliverySignature(address sender, address node, address recipient);
    error MalformedSignature();
    error SelfReceipt(address node);
    error AmountTooLarge();
    error TransferFailed();
    error NoWithdrawal();
    error WithdrawalLocked(uint256 unlockAt);
    error BadParameters();

    constructor(address token_, uint64 withdrawalDelay_, uint64 epochLength_, uint128 epochCap_) {
        if (token_ == address(0) || epochLength_ == 0) revert BadParameters();
        token = IERC20Minimal(token_);
        withdrawalDelay = withdrawalDelay_;
        epochLength = epochLength_;
        epochCap = epochCap_;
        cachedChainId = block.chainid;
        cachedDomainSeparator = _buildDomainSeparator();
    }

    // ---------------------------------------------------------------- deposits

    /// Moves `amount` tokens from the caller (after approve) into its deposit, which backs its cheques.
    function deposit(uint256 amount) external {
        Account storage a = accounts[msg.sender];
        uint256 next = uint256(a.deposit) + amount;
        if (next > MAX_AMOUNT) revert AmountTooLarge();
        a.deposit = uint128(next);
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        emit Deposited(msg.sender, amount, next);
    }

    /// Announces a withdrawal of `amount`; replaces any pending one and restarts the delay. Claims keep
    /// drawing on the deposit until withdraw() runs, so a node that claims within `withdrawalDelay` of
    /// this event is paid in full: cheques do not bounce.
    function requestWithdrawal(uint256 amount) external {
        if (amount > MAX_AMOUNT) revert AmountTooLarge();
        Account storage a = accounts[msg.sender];
        uint256 unlockAt = block.timestamp + withdrawalDelay;
        a.withdrawalAmount = uint128(amount);
        a.withdrawalUnlockAt = uint64(unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// Pays out the pending withdrawal (at most the deposit left) once its delay has passed.
    function withdraw() external returns (uint256 amount) {
        Account storage a = accounts[msg.sender];
        uint256 unlockAt = a.withdrawalUnlockAt;
        if (unlockAt == 0) revert NoWithdrawal();
        if (block.timestamp < unlockAt) revert WithdrawalLocked(unlockAt);
        amount = a.withdrawalAmount < a.deposit ? a.withdrawalAmount : a.deposit;
        a.deposit -= uint128(amount);
        a.withdrawalAmount = 0;
        a.withdrawalUnlockAt = 0;
        if (!token.transfer(msg.sender, amount)) revert TransferFailed();
        emit Withdrawn(msg.sender, amount, a.deposit);
    }

    // ---------------------------------------------------------------- claims

    /// Settles one cheque with its receipts; returns what was paid to c.node.
    function claim(Claim calldata c) external returns (uint256 paid) {
        paid = _settle(c);
        if (paid != 0 && !token.transfer(c.node, paid)) revert TransferFailed();
    }

    /// Settles many cheques in one transaction; consecutive claims for the same node are paid with one
    /// transfer. Returns the total paid.
    function claimBatch(Claim[] calldata cs) external returns (uint256 total) {
        address node;
        uint256 pending;
        for (uint256 i = 0; i < cs.length; i++) {
            if (cs[i].node != node) {
                if (pending != 0 && !token.transfer(node, pending)) revert TransferFailed();
                node = cs[i].node;
                pending = 0;
            }
            uint256 paid = _settle(cs[i]);
            pending += paid;
            total += paid;
        }
        if (pending != 0 && !token.transfer(node, pending)) revert TransferFailed();
    }

    function _settle(Claim calldata c) private returns (uint256 pay) {
        bytes32 chequeDigest = _digest(keccak256(abi.encode(CHEQUE_TYPEHASH, c.sender, c.node, c.chequeAmount)));
        address signer = _recover(chequeDigest, c.chequeSignature);
        if (signer != c.sender || signer == address(0)) revert BadChequeSignature(c.sender, c.node);

        Channel memory ch = channels[c.sender][c.node];
        uint256 proven = ch.proven;
        mapping(address => uint256) storage claimed = claimedAmounts[c.sender][c.node];
        for (uint256 i = 0; i < c.deliveries.length; i++) {
            Delivery calldata d = c.deliveries[i];
            uint256 previous = claimed[d.recipient];
            // a replayed or older receipt proves nothing new: skipped, so a batch built before a
            // competing claim landed still settles the rest
            if (d.cumulativeAmount <= previous) continue;
            if (d.cumulativeAmount > MAX_AMOUNT) revert AmountTooLarge();
            // a node cannot prove delivery to itself
            if (d.recipient == c.node) revert SelfReceipt(c.node);
            bytes32 digest = _digest(
                keccak256(abi.encode(DELIVERY_TYPEHASH, c.node, c.sender, d.recipient, d.cumulativeAmount))
            );
            address r = _recover(digest, d.signature);
            if (r != d.recipient || r == address(0)) revert BadDeliverySignature(c.sender, c.node, d.recipient);
            claimed[d.recipient] = d.cumulativeAmount;
            proven += d.cumulativeAmount - previous;
        }
        if (proven > MAX_AMOUNT) revert AmountTooLarge();

        uint256 covered = proven < c.chequeAmount ? proven : c.chequeAmount;
        pay = covered > ch.paid ? covered - ch.paid : 0;

        Account storage a = accounts[c.sender];
        if (pay > a.deposit) pay = a.deposit;
        if (epochCap != 0 && pay != 0) {
            uint64 epoch = uint64(block.timestamp / epochLength);
            uint256 epochPaid = a.epoch == epoch ? a.epochPaid : 0;
            uint256 room = epochCap > epochPaid ? epochCap - epochPaid : 0;
            if (pay > room) pay = room;
            a.epoch = epoch;
            a.epochPaid = uint128(epochPaid + pay);
        }
        if (pay != 0) a.deposit -= uint128(pay);
        uint256 paidTotal = uint256(ch.paid) + pay;
        channels[c.sender][c.node] = Channel(uint128(proven), uint128(paidTotal));
        emit Claimed(c.sender, c.node, pay, proven, paidTotal);
    }

    // ---------------------------------------------------------------- views

    function depositOf(address sender) external view returns (uint256) {
        return accounts[sender].deposit;
    }

    /// The pending withdrawal of `sender`: amount and unlock time (0, 0 when none).
    function withdrawalOf(address sender) external view returns (uint256 amount, uint256 unlockAt) {
        Account storage a = accounts[sender];
        return (a.withdrawalAmount, a.withdrawalUnlockAt);
    }

    /// What `sender`'s deposit has paid out in the current epoch.
    function epochPaidOf(address sender) external view returns (uint256) {
        Account storage a = accounts[sender];
        return a.epoch == uint64(block.timestamp / epochLength) ? a.epochPaid : 0;
    }

    /// Per (sender, node): the delivered postage proven by receipts, and what was paid for it.
    function channelOf(address sender, address node) external view returns (uint256 proven, uint256 paid) {
        Channel memory ch = channels[sender][node];
        return (ch.proven, ch.paid);
    }

    /// The latest receipt amount accepted per (sender, node, recipient).
    function claimedOf(address sender, address node, address recipient) external view returns (uint256) {
        return claimedAmounts[sender][node][recipient];
    }

    function domainSeparator() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomainSeparator : _buildDomainSeparator();
    }

    // ---------------------------------------------------------------- EIP-712

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    function _digest(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// ecrecover of a 65-byte r || s || v signature; refuses other lengths, v outside {27, 28} and
    /// high s. Returns address(0) when no key recovers.
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) revert MalformedSignature();
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 32))
            v := byte(0, calldataload(add(sig.offset, 64)))
        }
        if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) revert MalformedSignature();
        return ecrecover(digest, v, r, s);
    }
}
