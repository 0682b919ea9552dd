// minsheng: the helpers every page shares. Served by minsheng itself under a
// name that carries its hash (no outside script, no CDN); each page's own
// script follows it and uses these.
'use strict';

/** The element with this id. */
const $ = (id) => document.getElementById(id);

/** A new element, with its text and class when given. */
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/**
 * Shows a message in the page's #msg box — a toast at the top of the screen
 * (base.html), so it is where the person is looking; empty text clears it.
 * `kind`: true or 'ok' (done), false or nothing (an error), or another class
 * the page styles ('wait'). The box's data-base attribute names its own base
 * class (default 'msg'). An error stays until 知道了 is tapped or another
 * message replaces it; anything else goes after eight seconds.
 */
function say(text, kind) {
  const m = $('msg');
  if (!m) return;
  clearTimeout(say.timer);
  const cls = kind === true ? 'ok' : (kind === false || kind === undefined) ? 'err' : kind;
  m.className = text ? `${m.dataset.base || 'msg'} ${cls}` : '';
  m.textContent = '';
  if (!text) return;
  m.appendChild(el('span', text));
  const close = el('button', '知道了', 'close');
  close.type = 'button';
  close.onclick = () => say('');
  m.appendChild(close);
  if (cls !== 'err') say.timer = setTimeout(() => say(''), 8000);
}

/** The signed-in staff member, as the login page left it in this tab. */
const staff = {
  csrf: sessionStorage.getItem('ms_csrf'),
  role: sessionStorage.getItem('ms_role') || '',
  name: sessionStorage.getItem('ms_name') || '',
};

/**
 * Calls the JSON API and resolves with its answer. `body` is sent as JSON,
 * or as it is with {raw: true} (an uploaded file). Staff pages send the CSRF
 * token; an ended session takes them to the login page. A refusal rejects with an Error
 * whose message is the server's Chinese sentence and whose .code and .status
 * are the API's; with api.sayErrors set it is also shown in #msg.
 */
async function api(method, url, body, opts = {}) {
  const headers = {'Content-Type': opts.raw ? 'application/octet-stream' : 'application/json'};
  if (staff.csrf) headers['X-CSRF-Token'] = staff.csrf;
  const init = {method, headers};
  if (body !== undefined) init.body = opts.raw ? body : JSON.stringify(body);
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    return fail(new Error('无法连接服务器，请检查网络后重试'), 'network', 0);
  }
  const j = await r.json().catch(() => ({error: '服务器没有回应，请重试'}));
  if (j.code === 'login_required' && staff.csrf) {
    // The session ended (or the server restarted with a new one): sign in again.
    location.href = '/login';
    throw new Error(j.error);
  }
  if (!r.ok) return fail(new Error(j.error || '出错了，请重试'), j.code, r.status);
  return j;
}
api.sayErrors = false;

/**
 * Sends a file (an export of a year, tens of MB) as api() would, telling
 * `onSent(fraction)` how much has gone; resolves with the answer, rejects
 * like api().
 */
function upload(url, file, onSent) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', url);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    if (staff.csrf) x.setRequestHeader('X-CSRF-Token', staff.csrf);
    x.upload.onprogress = (e) => { if (e.lengthComputable) onSent(e.loaded / e.total); };
    x.onerror = () => { try { fail(new Error('无法连接服务器，请检查网络后重试'), 'network', 0); } catch (e) { reject(e); } };
    x.onload = () => {
      let j;
      try { j = JSON.parse(x.responseText); } catch (e) { j = {error: '服务器没有回应，请重试'}; }
      if (x.status >= 200 && x.status < 300) return resolve(j);
      try { fail(new Error(j.error || '出错了，请重试'), j.code, x.status); } catch (e) { reject(e); }
    };
    x.send(file);
  });
}

function fail(e, code, status) {
  e.code = code;
  e.status = status;
  if (api.sayErrors) say(e.message);
  throw e;
}

/** For staff pages: to the login page if nobody is signed in in this tab;
 *  otherwise who is shown in #who and #logout signs out. */
function staffPage() {
  if (!staff.csrf) {
    location.href = '/login';
    return false;
  }
  if ($('who')) $('who').textContent = staff.name;
  if ($('logout')) $('logout').onclick = logout;
  return true;
}

async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    sessionStorage.clear();
    location.href = '/login';
  }
}

/** Fills a table body with one row per item; `cells(item)` gives the texts.
 * Each cell carries its column's heading (`data-label`), which a phone shows
 * beside the value when the table is laid out as a card per row. */
function fillRows(tbody, items, cells) {
  tbody.innerHTML = '';
  const table = tbody.closest('table');
  const heads = table ? [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim()) : [];
  if (table) table.classList.add('cards');
  for (const x of items) {
    const tr = el('tr');
    cells(x).forEach((v, i) => {
      const td = v instanceof Node ? v : el('td', v);
      if (heads[i]) td.dataset.label = heads[i];
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
}
