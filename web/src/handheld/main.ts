import { decodeSetupCode } from '../../../shared/auth/setup-code.ts';
import { scanWithCamera, type CameraScan } from './camera.ts';
import { Validator, type DeviceSetup, type Shown } from './validator.ts';
import './handheld.css';

/**
 * The handheld's screen: a scan field the PDA's scanner types into (Enter ends a code), the
 * camera (ZXing, bundled: QR and 1D barcodes), a big verdict (green
 * 放行 / red reason), the counters, and a manual let-through with a reason. It syncs and
 * uploads whenever the network lets it; validation never waits for the network.
 */
const SETUP_KEY = 'tk.handheld';
const root = document.getElementById('hh')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function setupForm(): void {
  const saved = JSON.parse(localStorage.getItem(SETUP_KEY) ?? 'null') as DeviceSetup | null;
  const field = (id: string, label: string, value = '', type = 'text') => el('label', {}, label, el('input', { id, value, type, autocomplete: 'off' }));
  const save = (s: DeviceSetup) => {
    localStorage.setItem(SETUP_KEY, JSON.stringify(s));
    void start();
  };
  // The setup code HQ's 设备登记 screen shows for this device (TKS1:...): read by the camera, or
  // typed by the PDA's own scanner into the first field. It fills everything; the server stays
  // the one this page came from (HQ, or the site's hub that relays the handheld).
  const code = el('input', { id: 'hh-setup-code', autocomplete: 'off', placeholder: '用扫码枪扫设置码' });
  const problem = el('div', { id: 'hh-setup-error', class: 'error', role: 'alert' });
  const camBtn = el('button', { id: 'hh-setup-camera', type: 'button' }, '摄像头扫设置码');
  const video = el('video', { id: 'hh-setup-video', playsinline: '', muted: '', hidden: '' });
  const fromCode = (text: string) => {
    const read = readSetup(text);
    if (typeof read === 'string') {
      problem.textContent = read;
      return;
    }
    save({ base: '', ...read });
  };
  code.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    fromCode(code.value);
    code.value = '';
  });
  let camera: CameraScan | undefined;
  camBtn.addEventListener('click', () => {
    if (camera) return camera.stop();
    problem.textContent = '';
    camera = scanWithCamera(video);
    camBtn.textContent = '停止扫码';
    void camera.result.then(
      (text) => (text ? fromCode(text) : undefined),
      () => { problem.textContent = '无法打开摄像头：请用扫码枪扫设置码，或手工填写'; },
    ).finally(() => { camera = undefined; camBtn.textContent = '摄像头扫设置码'; });
  });
  const form = el('form', { id: 'hh-setup', class: 'setup' },
    el('h1', {}, '手持检票机 设置'),
    el('label', {}, '设置码（设备登记时显示的二维码）', code),
    ...(navigator.mediaDevices ? [camBtn, video] : []),
    problem,
    el('p', { class: 'hint' }, '或手工填写：'),
    field('hh-base', '服务器（留空为本站）', saved?.base ?? ''),
    field('hh-site', '景区编号', saved?.site ?? ''),
    field('hh-device', '设备编号', saved?.device ?? ''),
    field('hh-token', '设备凭证', saved?.token ?? '', 'password'),
    el('button', { id: 'hh-save', type: 'submit' }, '保存并同步'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = (id: string) => (document.getElementById(id) as HTMLInputElement).value.trim();
    if (!v('hh-site') || !v('hh-device') || !v('hh-token')) {
      problem.textContent = '请填写景区编号、设备编号和设备凭证，或扫设置码';
      return;
    }
    save({ base: v('hh-base'), site: v('hh-site'), device: v('hh-device'), token: v('hh-token') });
  });
  root.replaceChildren(form);
  code.focus();
}

const ROLE_NAMES: Record<string, string> = { gate: '闸机', kiosk: '自助机', hub: '站点服务器', pos: '收银机', handheld: '手持检票机' };

/** A scanned setup code as this handheld's setup, or what is wrong with it (for the person holding it). */
function readSetup(text: string): Omit<DeviceSetup, 'base'> | string {
  let p;
  try {
    p = decodeSetupCode(text);
  } catch {
    return '这不是设备设置码：请扫「设备登记」页面上为本机显示的二维码';
  }
  if (p.role !== 'handheld') return `这是${ROLE_NAMES[p.role] ?? p.role}「${p.device}」的设置码，不是手持检票机的`;
  return { site: p.site, device: p.device, token: p.token };
}

async function start(): Promise<void> {
  const setup = JSON.parse(localStorage.getItem(SETUP_KEY) ?? 'null') as DeviceSetup | null;
  if (!setup?.site || !setup.device || !setup.token) return setupForm();
  const v = new Validator({ ...setup, base: setup.base || location.origin });
  await v.open();

  const result = el('div', { id: 'hh-result', class: 'result idle' }, el('div', { class: 'big' }, '请扫码'), el('div', { class: 'small' }, ''));
  const input = el('input', { id: 'hh-scan', autocomplete: 'off', autofocus: '', placeholder: '扫码或输入票码后回车', inputmode: 'none' });
  const counter = el('div', { id: 'hh-counter', class: 'counter' });
  const status = el('div', { id: 'hh-status', class: 'status' });
  const syncBtn = el('button', { id: 'hh-sync', type: 'button' }, '同步');
  const manualBtn = el('button', { id: 'hh-manual', type: 'button', class: 'manual' }, '人工放行');
  const reason = el('input', { id: 'hh-manual-reason', placeholder: '放行原因（必填）' });
  const manualOk = el('button', { id: 'hh-manual-ok', type: 'button' }, '确认放行');
  const manualBox = el('div', { id: 'hh-manual-box', class: 'manual-box', hidden: '' }, reason, manualOk);
  const camBtn = el('button', { id: 'hh-camera', type: 'button' }, '摄像头扫码');
  const video = el('video', { id: 'hh-video', playsinline: '', muted: '', hidden: '' });
  const tools = el('div', { class: 'tools' }, syncBtn, manualBtn, ...(navigator.mediaDevices ? [camBtn] : []));
  const form = el('form', { class: 'scan' }, input);
  root.replaceChildren(el('div', { class: 'app' }, status, result, form, counter, tools, manualBox, video));

  const refresh = async () => {
    const c = v.counter;
    counter.textContent = `放行 ${c.admitted}（${c.persons} 人） 拒绝 ${c.refused} 人工 ${c.manual} 邻机 ${v.heard.count}`;
    counter.dataset.siblings = String(v.heard.count);
    const out = await v.outboxSize();
    status.textContent = `${navigator.onLine ? '在线' : '离线'} · ${v.lane ? `通道 ${v.lane.lane}` : '未分配通道'} · 票 ${v.ticketsHeld} · 待上传 ${out}${v.lastSync ? ` · 同步 ${new Date(v.lastSync).toLocaleTimeString('zh-CN')}` : ''}`;
    status.dataset.outbox = String(out);
    status.dataset.checkpoint = String(v.checkpoint);
  };
  const show = (s: Shown) => {
    result.className = `result ${s.admit ? 'ok' : 'refused'}`;
    result.dataset.reason = s.reason;
    result.dataset.at = String(++shownCount);
    result.replaceChildren(
      el('div', { class: 'big' }, s.admit ? '放行' : '禁止通行'),
      el('div', { class: 'small' }, s.message),
      ...(s.admit && s.persons ? [el('div', { class: 'persons' }, `${s.persons} 人${s.remaining === null ? '' : ` · 剩余 ${s.remaining} 人次`}`)] : []),
    );
    beep(s.admit);
    navigator.vibrate?.(s.admit ? 80 : [200, 80, 200]);
    void refresh();
  };
  const online = async () => {
    if (!navigator.onLine) return refresh();
    try {
      await v.sync();
      await v.upload();
      await v.hear();
    } catch {
      // The line is down or HQ is away: the cache and the outbox wait for the next try.
    }
    await refresh();
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value;
    input.value = '';
    void v.validate(text).then(show).then(() => online());
  });
  syncBtn.addEventListener('click', () => void online());
  manualBtn.addEventListener('click', () => { manualBox.hidden = !manualBox.hidden; reason.focus(); });
  manualOk.addEventListener('click', () => {
    const why = reason.value.trim();
    if (!why) return void reason.focus();
    reason.value = '';
    manualBox.hidden = true;
    void v.letThrough(why).then(show).then(() => online());
  });
  let camera: CameraScan | undefined;
  camBtn.addEventListener('click', () => {
    // A second press puts the camera away.
    if (camera) return camera.stop();
    camera = scanWithCamera(video);
    camBtn.textContent = '停止扫码';
    void camera.result.then(
      (text) => (text ? v.validate(text).then(show).then(() => online()) : undefined),
      () => show({ admit: false, reason: 'no_camera', message: '无法打开摄像头', persons: 0, remaining: null, at: Date.now() }),
    ).finally(() => { camera = undefined; camBtn.textContent = '摄像头扫码'; });
  });
  document.addEventListener('click', (ev) => { if (!(ev.target instanceof HTMLInputElement)) input.focus(); });
  window.addEventListener('online', () => void online());
  window.addEventListener('offline', () => void refresh());
  setInterval(() => void online(), 10_000);
  await online();
  input.focus();
  document.body.dataset.ready = '1';
}

let audio: AudioContext | undefined;
let shownCount = 0;
function beep(ok: boolean): void {
  try {
    audio ??= new AudioContext();
    const o = audio.createOscillator();
    o.frequency.value = ok ? 1200 : 300;
    o.connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + (ok ? 0.12 : 0.45));
  } catch {
    // no sound device: the screen says it
  }
}

if ('serviceWorker' in navigator) void navigator.serviceWorker.register('./handheld-sw.js').catch(() => undefined);
void start();
