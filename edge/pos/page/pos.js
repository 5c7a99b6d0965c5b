// The cashier's page: items to tap, the band read (or typed), charge, balance left, refund with a supervisor PIN.
const $ = (id) => document.getElementById(id);
const yuan = (f) => `¥${(f / 100).toFixed(2)}`;
const cart = new Map();
let items = [];
let lastBandSeq = 0;

async function call(method, path, body) {
  const res = await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw Object.assign(new Error(json.error?.message ?? res.status), { code: json.error?.code });
  return json;
}

function say(text, kind, code) {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
  if (code) m.dataset.code = code; else delete m.dataset.code;
}

function render() {
  const ul = $('cart');
  ul.innerHTML = '';
  let total = 0;
  for (const [code, q] of cart) {
    const it = items.find((i) => i.code === code);
    if (!it) continue;
    total += it.priceFen * q;
    const li = document.createElement('li');
    li.dataset.code = code;
    li.innerHTML = `<span></span><span>${yuan(it.priceFen * q)}</span>`;
    li.firstChild.textContent = `${it.name} × ${q}`;
    ul.appendChild(li);
  }
  $('total').textContent = yuan(total);
}

async function loadItems() {
  items = (await call('GET', '/api/items')).items;
  const box = $('items');
  box.innerHTML = '';
  for (const it of items) {
    const b = document.createElement('button');
    b.dataset.code = it.code;
    b.textContent = `${it.name} ${yuan(it.priceFen)}`;
    b.onclick = () => { cart.set(it.code, (cart.get(it.code) ?? 0) + 1); render(); };
    box.appendChild(b);
  }
}

async function showBand() {
  const uid = $('band').value.trim();
  if (!uid) return;
  try {
    const q = await call('GET', `/api/bands/${encodeURIComponent(uid)}`);
    $('band-info').textContent = `余额 ${yuan(q.balanceFen)}，可用 ${yuan(q.availableFen)}${q.offline ? '（离线）' : ''}`;
  } catch (e) {
    $('band-info').textContent = '';
    say(e.message.split(' / ')[0], 'error', e.code);
  }
}

async function loadRecent() {
  const list = (await call('GET', '/api/charges')).items.filter((c) => !c.voidOf);
  const sel = $('refund-charge');
  sel.innerHTML = '';
  for (const c of list) {
    const o = document.createElement('option');
    o.value = c.chargeId;
    o.textContent = `${c.bandUid} ${yuan(c.amountFen)} ${c.chargeId.slice(0, 8)}`;
    sel.appendChild(o);
  }
}

$('charge').onclick = async () => {
  const bandUid = $('band').value.trim();
  if (!bandUid) return say('请刷腕带', 'error', 'no_band');
  if (!cart.size) return say('请选择商品', 'error', 'no_items');
  try {
    const r = await call('POST', '/api/charges', { bandUid, items: [...cart].map(([code, quantity]) => ({ code, quantity })) });
    say(`收款 ${yuan(r.amountFen)}，余额 ${yuan(r.balanceFen)}${r.offline ? '（离线）' : ''}`, 'ok');
    $('message').dataset.charge = r.chargeId;
    cart.clear();
    render();
    await loadRecent();
  } catch (e) {
    say(e.message.split(' / ')[0], 'error', e.code);
  }
};
$('clear').onclick = () => { cart.clear(); render(); say('', ''); };
$('band').onchange = showBand;
$('refund').onclick = async () => {
  try {
    const r = await call('POST', '/api/refunds', { chargeId: $('refund-charge').value, pin: $('pin').value });
    say(`已退款 ${yuan(r.amountFen)}，余额 ${yuan(r.balanceFen)}`, 'ok');
    $('pin').value = '';
    await loadRecent();
  } catch (e) {
    say(e.message.split(' / ')[0], 'error', e.code);
  }
};

async function poll() {
  try {
    const s = await call('GET', '/api/state');
    $('shop').textContent = `收银 ${s.shop}`;
    $('link').textContent = s.online ? '在线' : `离线 · 待上传 ${s.outbox}`;
    $('link').className = s.online ? '' : 'offline';
    if (s.band && s.band.seq !== lastBandSeq) {
      lastBandSeq = s.band.seq;
      $('band').value = s.band.uid;
      await showBand();
    }
  } catch { /* the next poll tries again */ }
  setTimeout(poll, 500);
}

await loadItems();
await loadRecent();
poll();
