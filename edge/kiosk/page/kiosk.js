// The kiosk's touch screen: plain JS, no build step. Talks to the kiosk agent's JSON API.
'use strict';
const T = {
  'zh-CN': {
    title: '自助售取票', pickup: '取票', pickupHint: '网上/OTA预订', buy: '购票', buyHint: '当日门票', pickupHow: '请选择取票方式',
    byOrder: '订单号 + 手机号', byCode: '扫描二维码', byId: '刷身份证', orderNo: '订单号', phone: '手机号', find: '查询',
    scanHint: '请将订单二维码对准扫描口，或输入二维码内容', code: '二维码', idHint: '请将身份证放在读卡区', idSim: '身份证号（模拟刷卡）',
    swipe: '模拟刷卡', back: '返回', foundTitle: '请确认订单', chooseTypes: '请选择票种和数量', total: '合计', toPay: '去支付',
    payTitle: '请出示付款码', payHint: '微信/支付宝付款码对准扫描口，或输入付款码数字', authCode: '付款码', pay: '支付', cancel: '取消',
    printing: '正在出票，请稍候…', paying: '正在支付，请稍候…', searching: '正在查询…', doneTitle: '出票完成，请取走门票', home: '返回首页', retry: '重试',
    online: '在线', offline: '离线', confirm: '确认取票', resume: '继续出票', tickets: '张', persons: '人', visitDay: '游玩日期', contact: '联系人',
    printed: (n, t) => `已出票 ${n}/${t} 张`, doneSale: (n, y) => `已支付 ¥${y}，出票 ${n} 张`, fromCache: '（离线模式：来自本机缓存）', lang: 'English',
    nothingChosen: '请至少选择一张票',
    wallet: '一卡通', walletHint: '腕带开卡 / 充值', walletHow: '请将腕带放在读卡区', band: '腕带号', read: '读取',
    bandNew: (d) => `新腕带：开卡需押金 ¥${d}（离园退还），请选择充值金额`, bandOpen: (b) => `余额 ¥${b}，请选择充值金额`,
    topUp: (y, d) => (d ? `充值 ¥${y} + 押金 ¥${d}` : `充值 ¥${y}`), doneWallet: (y, b) => `已支付 ¥${y}，腕带余额 ¥${b}，请取走凭条`,
  },
  en: {
    title: 'Self-service tickets', pickup: 'Pick up', pickupHint: 'Booked online / OTA', buy: 'Buy', buyHint: "Today's tickets", pickupHow: 'How would you like to find your booking?',
    byOrder: 'Order no. + phone', byCode: 'Scan QR code', byId: 'ID card', orderNo: 'Order number', phone: 'Mobile phone', find: 'Find',
    scanHint: 'Hold the booking QR code to the scanner, or type its text', code: 'QR code', idHint: 'Place your ID card on the reader', idSim: 'ID number (simulated swipe)',
    swipe: 'Simulate swipe', back: 'Back', foundTitle: 'Please confirm your booking', chooseTypes: 'Choose tickets and quantities', total: 'Total', toPay: 'Pay',
    payTitle: 'Show your payment code', payHint: 'Hold your WeChat / Alipay payment code to the scanner, or type its digits', authCode: 'Payment code', pay: 'Pay', cancel: 'Cancel',
    printing: 'Printing your tickets…', paying: 'Processing payment…', searching: 'Searching…', doneTitle: 'Done: please take your tickets', home: 'Home', retry: 'Try again',
    online: 'online', offline: 'offline', confirm: 'Print my tickets', resume: 'Print the rest', tickets: 'tickets', persons: 'persons', visitDay: 'Visit day', contact: 'Contact',
    printed: (n, t) => `Printed ${n} of ${t} tickets`, doneSale: (n, y) => `Paid ¥${y}, ${n} tickets printed`, fromCache: '(offline: from this kiosk\'s cache)', lang: '中文',
    nothingChosen: 'Choose at least one ticket',
    wallet: 'Wristband', walletHint: 'Open / top up', walletHow: 'Place your wristband on the reader', band: 'Wristband no.', read: 'Read',
    bandNew: (d) => `New wristband: deposit ¥${d} (refunded at the exit); choose a top-up`, bandOpen: (b) => `Balance ¥${b}; choose a top-up`,
    topUp: (y, d) => (d ? `Top up ¥${y} + deposit ¥${d}` : `Top up ¥${y}`), doneWallet: (y, b) => `Paid ¥${y}, balance ¥${b}; take your receipt`,
  },
};
const ERRORS = {
  'zh-CN': {
    invalid_request: '输入有误，请检查', invalid_phone: '手机号无效', invalid_id_number: '身份证号无效', not_found: '未找到订单，请核对订单号和手机号',
    expired_session: '操作已超时，请重新查询', already_picked_up: '该订单已取票', booking_cancelled: '订单已取消', not_paid: '订单未付款',
    not_today: '不是今天的订单，请在游玩当日取票', paper_out: '打印机缺纸，请联系工作人员', printer_unavailable: '打印机故障，请联系工作人员',
    sale_unavailable: '暂时无法购票（网络中断），取票不受影响', payment_failed: '支付失败，未扣款', payment_pending: '等待支付确认…',
    price_changed: '票价已变更，请重新选择', sold_out: '今日余票不足', invalid_band: '腕带号无效，请重新刷腕带',
    band_blocked: '腕带已挂失或已在使用，请到服务台', wallet_unavailable: '暂时无法充值（网络中断）', paid_not_issued: '已扣款但出票失败，请联系工作人员退款', busy: '正在处理，请稍候', network: '取票机故障，请联系工作人员', internal: '取票机故障，请联系工作人员',
  },
  en: {
    invalid_request: 'Please check your input', invalid_phone: 'Not a valid mobile number', invalid_id_number: 'Not a valid ID card number',
    not_found: 'No booking found: check the order number and phone', expired_session: 'This has timed out: please search again',
    already_picked_up: 'The tickets of this booking were already picked up', booking_cancelled: 'This booking was cancelled', not_paid: 'This booking is not paid',
    not_today: 'This booking is for another day: pick it up on your visit day', paper_out: 'The printer is out of paper: please ask staff',
    printer_unavailable: 'The printer is not working: please ask staff', sale_unavailable: 'Ticket sales are unavailable (no connection). Pickup still works.',
    payment_failed: 'Payment failed: nothing was charged', payment_pending: 'Waiting for the payment to be confirmed…', price_changed: 'Prices changed: please choose again',
    sold_out: 'Not enough tickets left today', invalid_band: 'Not a wristband: read it again',
    band_blocked: 'This wristband is blocked or changed: please go to the desk', wallet_unavailable: 'Wristband top-up is unavailable (no connection)', paid_not_issued: 'You were charged but the tickets could not be issued: please ask staff for a refund', busy: 'Still working on it, please wait', network: 'The kiosk is not working: please ask staff', internal: 'The kiosk is not working: please ask staff',
  },
};
let lang = 'zh-CN';
let retry = null;
let sale = { types: [], qty: {}, attemptId: null, amountFen: 0 };
let lastScan = 0;
let lastCard = 0;
const $ = (id) => document.getElementById(id);
const t = (k) => T[lang][k];
const yuan = (fen) => (fen / 100).toFixed(2);

function applyLang() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('lang').textContent = t('lang');
  document.title = t('title');
}

function show(id) {
  for (const s of document.querySelectorAll('.screen')) s.classList.toggle('active', s.id === id);
}

class ApiError extends Error {
  constructor(code, message, details) { super(message); this.code = code; this.details = details; }
}

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError('network', String(e));
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok || data.error) throw new ApiError(data.error?.code ?? 'internal', data.error?.message ?? `HTTP ${res.status}`, data.error?.details);
  return data;
}

function fail(err, again) {
  const code = err.code ?? 'internal';
  retry = again ?? null;
  $('error').dataset.code = code;
  $('error-text').textContent = ERRORS[lang][code] ?? ERRORS[lang].internal;
  const d = err.details;
  $('error-detail').textContent = d && d.total ? t('printed')(d.printed ?? 0, d.total) : '';
  $('retry').style.display = again ? 'block' : 'none';
  show('error');
}

function busy(key) {
  $('busy-text').textContent = t(key);
  show('busy');
}

// ---- pickup ----
async function find(query) {
  busy('searching');
  try {
    const r = await api('POST', '/api/pickup/find', query);
    renderFound(r);
  } catch (e) { fail(e); }
}

function renderFound(r) {
  const list = $('found-list');
  list.textContent = '';
  for (const b of r.bookings) {
    const div = document.createElement('div');
    div.className = 'booking';
    div.dataset.order = b.orderNo;
    const lines = [
      `${t('orderNo')}: ${b.orderNo}`,
      `${t('contact')}: ${b.contactName}  ****${b.phoneLast4}`,
      `${t('visitDay')}: ${b.visitDay}`,
      `${b.types.map((x) => `${x.name} × ${x.quantity}`).join('，')}  (${b.persons} ${t('persons')})`,
    ];
    if (b.resume) lines.push(t('printed')(b.printed, b.tickets));
    if (r.source === 'cache') lines.push(t('fromCache'));
    for (const l of lines) { const p = document.createElement('p'); p.textContent = l; div.append(p); }
    const btn = document.createElement('button');
    btn.className = 'primary confirm';
    btn.type = 'button';
    btn.textContent = b.resume ? t('resume') : t('confirm');
    btn.onclick = () => confirmPickup(b.token);
    div.append(btn);
    list.append(div);
  }
  show('found');
}

async function confirmPickup(token) {
  busy('printing');
  try {
    const r = await api('POST', '/api/pickup/confirm', { token });
    $('done-text').textContent = `${r.orderNo}  ${t('printed')(r.printed, r.total)}`;
    show('done');
  } catch (e) { fail(e, ['paper_out', 'printer_unavailable', 'busy'].includes(e.code) ? () => confirmPickup(token) : null); }
}

// ---- sale ----
async function openSale() {
  busy('searching');
  try {
    const r = await api('GET', '/api/sale/types');
    sale = { types: r.types, qty: {}, attemptId: null, amountFen: 0 };
    renderTypes();
    show('sale');
  } catch (e) { fail(e); }
}

function renderTypes() {
  const box = $('types');
  box.textContent = '';
  let total = 0;
  for (const ty of sale.types) {
    const q = sale.qty[ty.code] ?? 0;
    total += q * ty.priceFen;
    const row = document.createElement('div');
    row.className = 'type-row';
    row.dataset.type = ty.code;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `${ty.name}  ¥${yuan(ty.priceFen)}`;
    const minus = document.createElement('button');
    minus.type = 'button'; minus.textContent = '−'; minus.className = 'minus';
    minus.onclick = () => { sale.qty[ty.code] = Math.max(0, q - 1); renderTypes(); };
    const qty = document.createElement('span');
    qty.className = 'qty'; qty.textContent = String(q);
    const plus = document.createElement('button');
    plus.type = 'button'; plus.textContent = '+'; plus.className = 'plus';
    plus.onclick = () => { sale.qty[ty.code] = Math.min(20, q + 1); renderTypes(); };
    row.append(name, minus, qty, plus);
    box.append(row);
  }
  $('sale-total').textContent = `¥${yuan(total)}`;
}

async function startSale() {
  const items = Object.entries(sale.qty).filter(([, q]) => q > 0).map(([type, quantity]) => ({ type, quantity }));
  if (!items.length) { fail({ code: 'invalid_request' }); $('error-text').textContent = t('nothingChosen'); return; }
  busy('searching');
  try {
    const r = await api('POST', '/api/sale', { items });
    sale.attemptId = r.attemptId;
    sale.amountFen = r.amountFen;
    $('pay-amount').textContent = `¥${yuan(r.amountFen)}`;
    $('authcode').value = '';
    show('pay');
  } catch (e) { fail(e); }
}

// ---- wristband wallet (一卡通) ----
async function readBand() {
  busy('searching');
  try {
    const b = await api('GET', `/api/wallet/bands/${encodeURIComponent($('band').value.trim())}`);
    const fresh = b.state === 'new';
    $('wallet-state').textContent = fresh ? t('bandNew')(yuan(b.newDepositFen)) : t('bandOpen')(yuan(b.balanceFen));
    $('topups').innerHTML = '';
    for (const fen of b.topUpsFen) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'primary topup';
      btn.dataset.fen = String(fen);
      btn.textContent = t('topUp')(yuan(fen), fresh ? yuan(b.newDepositFen) : null);
      btn.onclick = () => startWallet(b.bandUid, fen);
      $('topups').appendChild(btn);
    }
    show('wallet');
  } catch (e) { fail(e); }
}

async function startWallet(bandUid, topUpFen) {
  busy('searching');
  try {
    const r = await api('POST', '/api/wallet', { bandUid, topUpFen });
    sale = { ...sale, attemptId: r.attemptId, amountFen: r.amountFen, wallet: true };
    $('pay-amount').textContent = `¥${yuan(r.amountFen)}`;
    $('authcode').value = '';
    show('pay');
  } catch (e) { fail(e); }
}

async function pay(authCode, attempt = 0) {
  busy('paying');
  try {
    if (sale.wallet) {
      const w = await api('POST', `/api/wallet/${sale.attemptId}/pay`, { authCode });
      $('done-text').textContent = t('doneWallet')(yuan(w.amountFen), yuan(w.balanceFen));
      show('done');
      return;
    }
    const r = await api('POST', `/api/sale/${sale.attemptId}/pay`, { authCode });
    $('done-text').textContent = t('doneSale')(r.printed, yuan(r.amountFen));
    show('done');
  } catch (e) {
    // Pending: the visitor is confirming on the phone; ask again with the same attempt.
    if (e.code === 'payment_pending' && attempt < 30) { setTimeout(() => pay(authCode, attempt + 1), 1000); return; }
    fail(e, ['paper_out', 'printer_unavailable', 'sale_unavailable', 'wallet_unavailable', 'busy', 'payment_pending'].includes(e.code) ? () => pay(authCode) : null);
  }
}

// ---- wiring ----
function wire() {
  $('lang').onclick = () => { lang = lang === 'zh-CN' ? 'en' : 'zh-CN'; applyLang(); };
  $('go-pickup').onclick = () => { for (const id of ['order', 'phone', 'code', 'idnumber']) $(id).value = ''; show('pickup'); };
  $('go-sale').onclick = openSale;
  $('go-wallet').onclick = () => { $('band').value = ''; $('wallet-state').textContent = ''; $('topups').innerHTML = ''; show('wallet'); $('band').focus(); };
  $('wallet-form').onsubmit = (e) => { e.preventDefault(); readBand(); };
  for (const b of document.querySelectorAll('.back, .home')) b.onclick = () => show('home');
  for (const tab of document.querySelectorAll('.tab')) {
    tab.onclick = () => {
      for (const x of document.querySelectorAll('.tab')) x.classList.toggle('active', x === tab);
      for (const p of document.querySelectorAll('.pane')) p.classList.toggle('active', p.id === tab.dataset.tab);
    };
  }
  $('by-order').onsubmit = (e) => { e.preventDefault(); find({ by: 'order', order: $('order').value, phone: $('phone').value }); };
  $('by-code').onsubmit = (e) => { e.preventDefault(); find({ by: 'code', code: $('code').value }); };
  $('by-id').onsubmit = async (e) => {
    e.preventDefault();
    busy('searching');
    try { renderFound(await api('POST', '/api/idcard', { idNumber: $('idnumber').value })); } catch (err) { fail(err); }
  };
  $('sale-next').onclick = startSale;
  $('pay-form').onsubmit = (e) => { e.preventDefault(); pay($('authcode').value.trim()); };
  $('retry').onclick = () => { const again = retry; retry = null; if (again) again(); };
}

async function poll() {
  try {
    const s = await api('GET', '/api/state');
    $('net').textContent = s.online ? t('online') : t('offline');
    $('net').classList.toggle('off', !s.online);
    // A code read by the kiosk's scanner: a booking QR on the pickup screens, a payment code on the pay screen.
    if (s.scan && s.scan.seq > lastScan) {
      const first = lastScan === 0 && !document.body.dataset.ready;
      lastScan = s.scan.seq;
      if (!first) {
        if ($('pay').classList.contains('active')) pay(s.scan.text);
        else if ($('home').classList.contains('active') || $('pickup').classList.contains('active')) find({ by: 'code', code: s.scan.text });
      }
    }
    // A card on the ID card reader: look up its holder's bookings.
    if (s.card && s.card.seq > lastCard) {
      const first = lastCard === 0 && !document.body.dataset.ready;
      lastCard = s.card.seq;
      if (!first && ($('home').classList.contains('active') || $('pickup').classList.contains('active'))) {
        busy('searching');
        try { renderFound(await api('POST', '/api/idcard/read', {})); } catch (err) { fail(err); }
      }
    }
  } catch { /* shown as offline on the next poll */ }
  document.body.dataset.ready = '1';
}

fetch('/api/state').then((r) => r.json()).then((s) => { lang = s.locale === 'en' ? 'en' : 'zh-CN'; applyLang(); }).catch(() => applyLang());
wire();
poll();
setInterval(poll, 1000);
