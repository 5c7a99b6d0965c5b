import type zhCN from './zh-CN.ts';

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };

/** English. Typed by the Chinese catalogue, so a key missing here fails the typecheck. */
const en: Shape<typeof zhCN> = {
  app: { title: 'Scenic ticketing', otherLanguage: '中文', logout: 'Log out', denied: 'Not allowed', deniedHint: 'Your role may not use this. Ask an administrator.', nothing: 'Your account has nothing to use here' },
  role: { administrator: 'Administrator', finance: 'Finance', marketing: 'Marketing', seller: 'Seller', supervisor: 'Supervisor' },
  menu: {
    window: 'Ticket window', finance: 'Finance', supervisor: 'Supervisor', marketing: 'Marketing',
    sell: 'Sell', pickup: 'Pick up', orders: 'Refund & change', members: 'Member cards', shift: 'Shift',
    shifts: 'Shifts', payments: 'Payments & refunds', reconciliation: 'Reconciliation', accounts: 'Customer accounts', stock: 'Ticket stock', audit: 'Audit check', reports: 'Reports',
  },
  common: { search: 'Search', cancel: 'Cancel', confirm: 'OK', done: 'Done', more: 'Load more' },
  login: { username: 'Username', password: 'Password', submit: 'Log in', needUsername: 'Enter your username', needPassword: 'Enter your password', wrong: 'Wrong username or password', expired: 'Your session has expired, please log in again' },
  method: { cash: 'Cash', card: 'Bank card', mobile: 'Mobile pay', voucher: 'Voucher', points: 'Points', deposit: 'Deposit', on_account: 'On account', signed_bill: 'Signed bill' },
  orderState: { reserved: 'Reserved', pending: 'Awaiting payment', issued: 'Issued', cancelled: 'Cancelled', refunded: 'Refunded', lost: 'Lost', reissued: 'Reissued' },
  bookingState: { booked: 'Unpaid', issued: 'To pick up', picked_up: 'Picked up', cancelled: 'Cancelled', expired: 'Expired' },
  range: { from: 'From', to: 'To', today: 'Today', yesterday: 'Yesterday', last7: 'Last 7 days', thisMonth: 'This month', lastMonth: 'Last month' },
  sell: {
    discount: 'Discount', noDiscount: 'None', customer: 'Customer', walkIn: 'Walk-in', visitDay: 'Visit day', today: 'Today',
    keyQty: 'quantity', keyType: 'ticket type', keyPlusMinus: 'more/less', keyDelete: 'drop last line', keyPay: 'pay', keyReserve: 'reserve (group)', keyClear: 'clear',
    cart: 'This sale', qtyPending: 'Quantity {n}: press a type key', empty: 'Press F1–F8 or click a type', type: 'Type', qty: 'Qty', unit: 'Price', lineTotal: 'Total',
    bind: 'Bind', groupOne: 'One ticket for the whole group', total: 'To pay', amount: 'Amount', tendered: 'Cash handed over', payMethod: 'Method', payRef: 'Cash handed over / reference',
    cardRef: 'Card slip no.', authCode: 'Payment code', voucherCode: 'Voucher code', signer: 'Signed by', paid: 'Paid', change: 'Change',
    pay: 'Take payment', confirm: 'Confirm', reserve: 'Reserve', clear: 'Clear', giveChange: 'Change', sold: 'Sold', reserved: 'Reserved',
    order: 'Order', printed: '{n} printed', printing: 'Printing…', reprint: 'Reprint', printAgain: 'Print again',
    reprintReason: 'Why reprint (audited), e.g. paper jam', mobileDeclined: 'Mobile payment declined; the order was cancelled',
    bindTitle: 'Bind ID card / IC card / pre-printed ticket', idcard: 'ID card', iccard: 'IC card', barcode: 'Pre-printed',
    bindHint: 'Swipe or scan (the reader types and presses Enter)', bindCount: '{have} of {need} bound', left: '{n} left',
  },
  pickup: {
    title: 'Pick up bookings', byOrder: 'Order no. + phone', byId: 'ID card', byCode: 'Booking QR', orderNo: 'Order no.', phone: 'Phone',
    idNumber: 'ID number', idHint: 'Swipe the ID card or type', code: 'QR code', codeHint: 'Scan the booking QR', find: 'Find',
    needOrder: 'Enter the order number', needPhone: 'Enter the phone number', none: 'No booking to pick up found', visitDay: 'Visit',
    pickAndPrint: 'Pick up and print ({n})', pickedUp: 'Picked up', printed: 'Picked up, {n} printed',
  },
  after: {
    title: 'Refunds and changes', search: 'Order or ticket id', anyDay: 'Any day', mine: 'Mine only', time: 'Time', order: 'Order', status: 'Status',
    total: 'Amount', what: 'Tickets', refunded: 'Refunded', net: 'Net', ticket: 'Ticket', persons: 'Persons', price: 'Price', validUntil: 'Valid until', valid: 'Valid',
    refund: 'Refund', reissue: 'Reissue (lost)', extend: 'Extend', reprint: 'Reprint', issue: 'Take payment and issue', cancelReservation: 'Cancel reservation',
    selectHint: 'Tick tickets first for reissue, extension or reprint; a refund may be money only',
    tickets: 'Tickets', nSelected: '{n} selected', moneyOnly: 'Money only (tickets stay valid)', method: 'Refund by', amount: 'Amount',
    amountHint: 'Empty: the price of the tickets ticked', why: 'Why', lost: 'Lost', damaged: 'Damaged', newMedia: 'New card', optional: 'optional',
    days: 'Days', reason: 'Reason', reasonHint: 'Required; goes into the audit log', needReason: 'Give a reason', badAmount: 'Not an amount, e.g. 120 or 120.50',
  },
  members: {
    title: 'Member cards', find: 'Find / renew / reissue', issue: 'Issue a card', findHint: 'Type and press Enter', holder: 'Holder', cardNo: 'Card no.', cardUid: 'Card UID',
    kind: 'Kind', expiresOn: 'Expires', expired: 'Expired', active: 'Active', renew: 'Renew', reissue: 'Reissue', print: 'Print slip',
    printReason: 'Member card slip', typeHint: 'Choose the card type', uidHint: 'Swipe the card', bindIdCard: 'Also admit by ID card', fee: 'Fee',
    by: { cardNo: 'Card no.', cardUid: 'Card UID', phone: 'Phone', idNumber: 'ID number', name: 'Name' },
    kinds: { annual: 'Annual', season: 'Season', month: 'Month', count: 'Count', resident: 'Resident', staff: 'Staff' },
    events: { issue: 'Issued', renew: 'Renewed', reissue: 'Reissued' },
  },
  shift: {
    title: 'Shift', openTitle: 'Open a shift', openHint: 'Count the float in the drawer and open the shift; sales need an open shift.', float: 'Float', open: 'Open shift', badAmount: 'Not an amount',
    openSince: 'Open since {at}', blindHint: 'Count the drawer and slips, then enter what you counted (expected and differences show after closing).',
    more: 'More methods', fewer: 'Fewer', close: 'Close shift', needCash: 'Enter the cash counted', badCount: 'The amount for {method} is not an amount',
    closedTitle: 'Shift report (sealed)', printReport: 'Print the shift report', reportPrinted: 'Printed', mine: 'My shifts', reportTitle: 'Shift report',
    opened: 'Opened', closed: 'Closed', stillOpen: 'Open', difference: 'Difference', seller: 'Seller', method: 'Method',
    charges: 'Taken', refunds: 'Refunded', expected: 'Expected', counted: 'Counted', orders: 'Orders', refundCount: '{n} refunds', stock: 'Stock',
    sealed: 'Seal', events: { print: 'Printed', reprint: 'Reprinted', reissue: 'Reissued', extend: 'Extended' },
  },
  fin: {
    shiftsTitle: 'Shifts of all sellers', all: 'All', open: 'Open', closed: 'Closed', report: 'Report',
    paymentsTitle: 'Payments and refunds', anyMethod: 'Any method', anySeller: 'Any seller', anyChannel: 'Any channel',
    channelWindow: 'Window', channelOnline: 'Online/OTA', channelKiosk: 'Kiosk', charged: 'In', refunded: 'Out',
    payments: 'Payments', refunds: 'Refunds', reference: 'Reference', channel: 'Sales', visitors: '{n} visitors',
    auditHint: 'Walks the audit chain: every payment, refund and sealed shift report must match its record.',
    auditOk: 'The audit chain is whole and matches', auditBad: '{n} problems found', auditFacts: '{n} records · checked {at}',
    verifyAgain: 'Check again', chainHead: 'Head', seq: 'Seq', subject: 'Subject', problem: 'Problem',
  },
  rec: {
    dayOk: 'balanced', dayBad: '{n} differences',
    ledger: 'Ledger reconciliation', bySeller: 'By seller: sales = money taken', byDay: 'By day: net = sales − refunds', day: 'Day',
    grossFen: 'Sales', collectedFen: 'Taken', refundedFen: 'Refunded', refundsFen: 'Refunds', netFen: 'Net', differenceFen: 'Difference',
    fromReports: 'Checked from the sales reports and payment records (the ledger\'s reconciliation report is used once HQ has it).',
  },
  acc: {
    search: 'Customer name', name: 'Customer', category: 'Category', deposit: 'Deposit', credit: 'On account', limit: 'Credit limit', points: 'Points',
    active: 'Active', closed: 'Closed', available: 'Available credit', post: 'Post entry', statement: 'Statement', ledger: 'Ledger', note: 'Note',
    ledgers: { deposit: 'Deposit', credit: 'On account', points: 'Points' }, topUp: 'Top up', correct: 'Correct down', repay: 'Repayment', charge: 'Charge',
  },
  stock: {
    prefix: 'Prefix', range: 'Serials', count: 'Count', total: 'Total', serial: 'Serial', serialHint: 'From this serial on, e.g. TK00000100', holder: 'Held by', soldAs: 'Sold as ticket', updated: 'Updated',
    states: { made: 'Made', in_store: 'In store', issued: 'Issued', returned: 'Returned', sold: 'Sold', voided: 'Voided' },
  },
  printer: {
    title: 'Printer', mode: 'Print with', bridge: 'Receipt printer on this PC (print bridge)', browser: 'Browser printing', url: 'Bridge address', check: 'Check printer',
    ok: 'Printer ready ({driver})', notOk: 'Printer not ready',
    bridgeHint: 'HQ lays the ticket out from its template; the print bridge on this PC sends it to the receipt printer (ESC/POS) and sees paper out.',
    browserHint: 'Without a bridge: the ticket as a picture through the browser\'s print dialog (A4 or a thermal printer the system knows).',
  },
  reports: { csv: 'Export CSV', xlsx: 'Export Excel', total: 'Total' },
};
export default en;
