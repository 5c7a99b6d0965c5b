/**
 * The gate console's page: present a code, a card UID or an ID card number as a reader would,
 * and watch what the lane does: result, light, display, voice, turnstile, link. zh-CN by
 * default, English with ?lang=en. Plain HTML and a little script, no build step.
 */
export function consolePage(device: string, lang: 'zh-CN' | 'en'): string {
  const zh = lang === 'zh-CN';
  const t = (a: string, b: string) => (zh ? a : b);
  return `<!doctype html><html lang="${lang}"><meta charset="utf-8">
<title>${t('闸机', 'Gate')} ${device}</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:18px system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.3rem;margin:0}header a{color:#9cc3ff;margin-left:auto}
.pill{padding:.15rem .6rem;border-radius:1rem;background:#3a4254;font-size:.9rem}.pill.up{background:#1f7a3a}.pill.down{background:#a3262a}
main{display:grid;grid-template-columns:minmax(18rem,1fr) minmax(18rem,1fr);gap:1rem;padding:1rem 1.5rem;max-width:70rem}
section{background:#fff;border-radius:.6rem;padding:1rem 1.2rem;box-shadow:0 1px 3px #0002}
h2{font-size:1rem;margin:0 0 .6rem;color:#5a6275}
input,select,button{font-size:1.05rem;padding:.55rem;border:1px solid #c4c9d4;border-radius:.4rem}
input#code{width:100%;box-sizing:border-box}.row{display:flex;gap:.5rem;margin-top:.5rem;flex-wrap:wrap}
button{background:#2456d3;color:#fff;border:0;padding:.6rem 1.4rem;cursor:pointer}
#verdict{margin-top:.8rem;padding:1rem;border-radius:.5rem;font-size:1.4rem;min-height:2rem;background:#eef0f4}
#verdict.ok{background:#c8f7c5}#verdict.no{background:#f9c6c6}
.light{width:3.2rem;height:3.2rem;border-radius:50%;background:#d5d8de;display:inline-block;vertical-align:middle;box-shadow:inset 0 0 6px #0004}
.light.green{background:#26c94a}.light.red{background:#e8323a}.light.yellow{background:#f5c400}.light.blink{animation:b .5s steps(2) infinite}
@keyframes b{50%{opacity:.25}}
.lcd{font:1.2rem ui-monospace,monospace;background:#2b3a1c;color:#b7f36b;padding:.6rem .8rem;border-radius:.3rem;min-height:3.2rem;white-space:pre}
.lcd.error{color:#ff9b8a}.kv{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}.kv b{font-weight:600}
.gate{font-size:1.3rem}.gate.open{color:#1f7a3a}.gate.emergency{color:#a3262a;font-weight:700}
@media(max-width:720px){main{grid-template-columns:1fr}}
</style>
<header><h1>${t('闸机', 'Gate')} ${device}</h1><span id="lane" class="pill"></span><span id="mode" class="pill"></span><span id="link" class="pill"></span>
<a href="?lang=${zh ? 'en' : 'zh-CN'}">${zh ? 'English' : '中文'}</a></header>
<main>
<section><h2>${t('出示凭证', 'Present a credential')}</h2>
<form id="f"><input id="code" autocomplete="off" placeholder="${t('票码 / 条码 / IC 卡号 / 身份证号', 'ticket code / barcode / card UID / ID number')}" autofocus>
<div class="row"><select id="kind" aria-label="kind"><option value="">${t('自动识别', 'detect')}</option><option value="barcode">${t('条码', 'barcode')}</option>
<option value="card">${t('IC/RFID 卡', 'IC/RFID card')}</option><option value="idcard">${t('身份证', 'ID card')}</option></select>
<select id="dir" aria-label="direction"><option value="in">${t('入口', 'in')}</option><option value="out">${t('出口', 'out')}</option></select>
<label>${t('人数', 'persons')} <input id="persons" type="number" min="1" max="1000" style="width:5rem"></label>
<button>${t('刷', 'Present')}</button></div></form>
<div id="verdict">${t('等待刷票…', 'Waiting…')}</div></section>
<section><h2>${t('车道设备', 'Lane devices')}</h2>
<div class="row" style="align-items:center;gap:1.2rem"><span id="light" class="light" title="light"></span>
<div style="flex:1"><div id="lcd" class="lcd"></div></div></div>
<div class="kv" style="margin-top:.8rem"><b>${t('闸门', 'Turnstile')}</b><span id="gate" class="gate"></span>
<b>${t('语音', 'Voice')}</b><span id="voice">—</span><b>${t('蜂鸣器', 'Buzzer')}</b><span id="buzzer">—</span></div></section>
<section><h2>${t('计数', 'Counters')}</h2><div class="kv" id="counters"></div></section>
<section><h2>${t('同步', 'Sync')}</h2><div class="kv" id="sync"></div></section>
</main>
<script>
const T=${JSON.stringify(zh ? {
    online: '在线', offline: '离线', closed: '关闭', open: '放行中', 'emergency-open': '应急常开', normal: '正常', emergency: '应急',
    admitted: '放行', refused: '拒绝', lastRelease: '上次', in: '入', out: '出', persons: ' 人', passedN: '通过', passed: '通过', returned: '退回', outbox: '待上传', checkpoint: '同步点', lastPull: '上次同步', error: '错误', none: '—',
  } : {
    online: 'online', offline: 'offline', closed: 'closed', open: 'open', 'emergency-open': 'emergency open', normal: 'normal', emergency: 'emergency',
    admitted: 'admitted', refused: 'refused', lastRelease: 'last release', in: 'in', out: 'out', persons: ' persons', passedN: 'passed', passed: 'passed', returned: 'returned', outbox: 'outbox', checkpoint: 'checkpoint', lastPull: 'last pull', error: 'error', none: '—',
  })};
const $=(id)=>document.getElementById(id);const tr=(k)=>T[k]??k;
const kv=(el,o)=>{el.innerHTML='';for(const[k,v]of Object.entries(o)){const b=document.createElement('b');b.textContent=tr(k);const s=document.createElement('span');s.textContent=v??T.none;el.append(b,s)}};
$('f').onsubmit=async(e)=>{e.preventDefault();const code=$('code').value.trim();if(!code)return;
 const body={code,direction:$('dir').value};if($('kind').value)body.kind=$('kind').value;if($('persons').value)body.persons=Number($('persons').value);
 const res=await fetch('scan',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(body)});const r=await res.json();
 const v=$('verdict');if(!res.ok){v.className='no';v.textContent=r.error?.message??res.status;return}
 v.className=r.admit?'ok':'no';v.textContent=(r.admit?'✔ ':'✘ ')+r.message+(r.admit?'':' ['+r.reason+']');$('code').value='';refresh()};
async function refresh(){try{
 const [s,d]=await Promise.all([fetch('status').then(r=>r.json()),fetch('devices').then(r=>r.json())]);
 $('lane').textContent=s.lane;$('mode').textContent=tr(s.mode);const up=s.link.connected;$('link').textContent=up?T.online:T.offline;$('link').className='pill '+(up?'up':'down');
 kv($('counters'),{admitted:s.stats.admitted,refused:s.stats.refused,passed:s.stats.passed,returned:s.stats.returned});
 kv($('sync'),{outbox:s.status.outbox,checkpoint:s.status.checkpoint,error:s.status.error});
 const l=d.indicator;$('light').className='light '+(l?l.light:'')+(l&&l.blinking?' blink':'');$('buzzer').textContent=l&&l.beeping?l.beeping:T.none;
 const lcd=$('lcd');lcd.textContent=d.display?d.display.lines.join('\\n'):T.none;lcd.className='lcd '+(d.display?.tone??'');
 $('voice').textContent=d.voice?.prompt??T.none;const door=s.status.door??'closed';const x=d.turnstile?.last;$('gate').textContent=tr(door)+(x&&x.direction?' · '+T.lastRelease+' '+tr(x.direction)+' '+(x.persons??'')+T.persons+(x.passed!==undefined?', '+T.passedN+' '+x.passed:''):'');$('gate').className='gate '+(door==='emergency-open'?'emergency':door);
}catch{}}
refresh();setInterval(refresh,700);
</script></html>`;
}
