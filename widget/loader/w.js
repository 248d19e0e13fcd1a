// The embed loader (/w.js): guards double init and draws the site's launcher itself (the facade:
// the look from the edge's /launcher.js, plain DOM in a shadow root). The widget iframe comes only
// when the shopper reaches for it (pointer over, focus, touch or click on the launcher;
// ChatWidget('open' | 'toggle' | 'openEntry')), or after the page's load and idle time for a
// returning visitor whose conversation is still open (a first-party flag the widget sets, never a
// token); it never delays the page's load. Then it sizes the iframe and forwards the queued
// window.ChatWidget API as one namespaced postMessage protocol. Plain JS, minified at build time;
// it must stay under 2 KB gzip.
(function () {
  var w = window, d = document, de = d.documentElement;
  if (w.__chatWidget) return;
  var s = d.currentScript || d.querySelector('script[data-site][src*="/w.js"]');
  if (!s) return;
  w.__chatWidget = 1;
  var NS = 'chatwidget';
  var origin = new URL(s.src, location.href).origin;
  var ds = s.dataset;
  var site = ds.site || '';
  var locale = ds.locale || navigator.language || '';
  var KEEP = 'cw:' + site + ':keep';
  var queued = (w.ChatWidget && w.ChatWidget.q) || [];
  var handlers = {};
  var ready = 0, isOpen = 0, outbox = [], layout, box = { w: 92, h: 92, left: 0 }, overflow;
  var vv = w.visualViewport;
  var frame, host, told, asked = 0, theme = {};
  try { theme = JSON.parse(ds.theme) || {}; } catch (e) { /* no data-theme, or not JSON */ }
  // The look first: the launcher shows one round trip after the loader runs.
  ask();
  // Where the visit came from (the reports' sources and campaigns): its first page's referrer and
  // address, kept for the tab's visit.
  var visit = d.referrer + ' ' + location.href;
  try { visit = sessionStorage['cw:visit'] = sessionStorage['cw:visit'] || visit; } catch (e) { /* storage off */ }
  var base = 'position:fixed;bottom:0;border:0;z-index:2147483000;background:transparent;color-scheme:normal;max-width:100%;';
  function size() {
    if (!frame) return;
    var narrow = w.innerWidth <= 480, full = isOpen && narrow;
    // The widget cannot see the host's viewport from inside its iframe: tell it.
    if (layout !== narrow) { layout = narrow; post({ type: 'cmd', cmd: 'layout', args: [narrow ? 'narrow' : 'wide'] }); }
    frame.style.cssText = base + (ready ? '' : 'visibility:hidden;') + (box.left ? 'left:0;' : 'right:0;') + (full
      // Full screen above the on-screen keyboard: follow the visual viewport.
      ? 'width:100%;height:' + (vv ? vv.height + 'px;top:' + vv.offsetTop + 'px' : '100%') + ';'
      : isOpen ? 'width:' + (box.ow || 420) + 'px;height:min(720px,100%);' : 'width:' + box.w + 'px;height:' + box.h + 'px;');
    // Lock the page behind a full-screen chat so it does not scroll under the visitor's finger.
    if (full && overflow == null) { overflow = de.style.overflow; de.style.overflow = 'hidden'; }
    if (!full && overflow != null) { de.style.overflow = overflow; overflow = null; }
  }
  w.addEventListener('resize', size);
  if (vv) vv.addEventListener('resize', size);
  // The widget, once: hidden until it is ready, then in the facade's place.
  function load() {
    if (frame) return;
    frame = d.createElement('iframe');
    var q = new URLSearchParams({ site: site, host: location.origin, locale: locale });
    if (ds.theme) q.set('theme', ds.theme);
    if (ds.entry) q.set('entry', ds.entry);
    if (ds.plugin) q.set('plugin', ds.plugin);
    frame.src = origin + '/widget/?' + q;
    frame.title = 'Chat';
    frame.setAttribute('data-testid', 'cw-frame');
    frame.setAttribute('allow', 'clipboard-write; autoplay');
    size();
    mount();
  }
  // The launcher's look, asked of the edge (again after a setTheme while there is no widget yet).
  function ask() {
    // Numbered: only the answer to the latest ask is drawn (answers may arrive out of order).
    var p = new URLSearchParams({ locale: locale, n: ++asked });
    if (ds.plugin) p.set('plugin', ds.plugin);
    if (JSON.stringify(theme) != '{}') p.set('theme', JSON.stringify(theme));
    // A module import, not a <script> element: it does not hold back the page's load event. A
    // site id is letters, digits and dashes (the edge refuses others). No look (a refused
    // script): the widget draws its own launcher, as before.
    import(origin + '/api/v1/sites/' + site + '/launcher.js?' + p).catch(load);
  }
  function look(l) {
    if (ready || l.n != asked) return;
    try {
      var root = (host = host || d.createElement('chat-widget')).shadowRoot || host.attachShadow({ mode: 'open' });
      // A constructed stylesheet: the page's style-src does not govern it. (A browser without
      // one, or without shadow roots, gets the widget's own launcher, as before.)
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(l.css);
      root.adoptedStyleSheets = [sheet];
      root.innerHTML = l.html;
      var b = root.querySelector('button');
      // A touch fires pointerenter too.
      ['pointerenter', 'focus'].forEach(function (t) { b.addEventListener(t, load, { passive: true }); });
      b.onclick = function () { b.setAttribute('aria-busy', 'true'); api('open'); };
      mount();
    } catch (e) { return load(); }
    hello();
  }
  function hello() { told = told || emit('ready', {}) || 1; }
  function post(m) {
    m.ns = NS;
    if (ready) frame.contentWindow.postMessage(m, origin); else outbox.push(m);
  }
  function emit(name, data) {
    (handlers[name] || []).forEach(function (fn) { try { fn(data); } catch (e) { setTimeout(function () { throw e; }); } });
  }
  function page() { if (ready) post({ type: 'cmd', cmd: 'page', args: [{ url: location.href, title: d.title, visit: visit }] }); }
  w.addEventListener('message', function (e) {
    var m = e.data;
    if (!frame || e.origin !== origin || e.source !== frame.contentWindow || !m || m.ns !== NS) return;
    if (m.type === 'ready') {
      ready = 1;
      // First the page and the snippet's own settings, then the calls queued before the widget was ready.
      outbox.unshift({ ns: NS, type: 'cmd', cmd: 'init', args: [{ identity: ds.identity || null }] });
      page();
      outbox.splice(0).forEach(post);
      // The widget's own launcher takes the facade's place (and its focus).
      if (host) { if (d.activeElement === host) frame.focus(); host.remove(); host = 0; }
      size();
      hello();
    } else if (m.type === 'resize') {
      isOpen = !!m.open;
      if (m.w) box = m;
      size();
    } else if (m.type === 'keep') {
      try { if (m.on) localStorage.setItem(KEEP, 1); else localStorage.removeItem(KEEP); } catch (x) { /* storage off */ }
    } else if (m.type === 'event') {
      emit(m.name, m.data);
    }
  });
  function api(cmd) {
    var args = [].slice.call(arguments, 1);
    if (cmd === 'on') {
      if (typeof args[1] === 'function') (handlers[args[0]] = handlers[args[0]] || []).push(args[1]);
      return;
    }
    if (cmd === 'look') return look(args[0] || {});
    if (cmd === 'setTheme' && !ready && args[0]) { for (var k in args[0]) theme[k] = args[0][k]; ask(); }
    // `load`: the widget now, without waiting for the shopper (a preview of it, say).
    if (cmd === 'load') return load();
    if (cmd === 'open' || cmd === 'toggle' || cmd === 'openEntry') load();
    try { post({ type: 'cmd', cmd: String(cmd), args: JSON.parse(JSON.stringify(args)) }); } catch (e) { emit('error', { code: 'bad_call' }); }
  }
  w.ChatWidget = api;
  queued.forEach(function (a) { api.apply(null, a); });
  // A returning visitor with a conversation going: the widget after the page's load, when idle
  // (the flag too is read only then: a first read of storage can cost the page's start).
  function later() {
    try { if (localStorage.getItem(KEEP)) { if (w.requestIdleCallback) requestIdleCallback(load); else setTimeout(load, 200); } } catch (e) { /* storage off */ }
  }
  if (d.readyState === 'complete') later(); else w.addEventListener('load', later);
  // Single-page apps: report navigation, and put the launcher or widget back if a re-render removed it.
  ['pushState', 'replaceState'].forEach(function (k) {
    var orig = history[k];
    history[k] = function () { var r = orig.apply(this, arguments); setTimeout(page); return r; };
  });
  w.addEventListener('popstate', page);
  var watched;
  function mount() {
    if (!d.body) return;
    [host, frame].forEach(function (el) { if (el && !el.isConnected) d.body.appendChild(el); });
    if (!watched) { watched = 1; new MutationObserver(mount).observe(de, { childList: true, subtree: true }); }
  }
  if (!d.body) d.addEventListener('DOMContentLoaded', mount);
})();
