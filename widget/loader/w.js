// The embed loader (/w.js): guards double init, creates the widget iframe pinned to the corner,
// sizes it, and forwards the queued window.ChatWidget API as one namespaced postMessage protocol.
// Plain JS, minified at build time; it must stay under 2 KB gzip.
(function () {
  var w = window, d = document;
  if (w.__chatWidget) return;
  var s = d.currentScript || d.querySelector('script[data-site][src*="/w.js"]');
  if (!s) return;
  w.__chatWidget = 1;
  var NS = 'chatwidget';
  var origin = new URL(s.src, location.href).origin;
  var ds = s.dataset;
  var queued = (w.ChatWidget && w.ChatWidget.q) || [];
  var handlers = {};
  var ready = 0, isOpen = 0, outbox = [], layout;
  var frame = d.createElement('iframe');
  var q = new URLSearchParams({ site: ds.site || '', host: location.origin, locale: ds.locale || navigator.language || '' });
  frame.src = origin + '/widget/?' + q;
  frame.title = 'Chat';
  frame.setAttribute('data-testid', 'cw-frame');
  frame.setAttribute('allow', 'clipboard-write');
  var base = 'position:fixed;bottom:0;right:0;border:0;z-index:2147483000;background:transparent;color-scheme:normal;';
  function size() {
    var narrow = w.innerWidth <= 480;
    // The widget cannot see the host's viewport from inside its iframe: tell it.
    if (layout !== narrow) { layout = narrow; post({ type: 'cmd', cmd: 'layout', args: [narrow ? 'narrow' : 'wide'] }); }
    frame.style.cssText = base + (isOpen
      ? (narrow ? 'width:100%;height:100%;' : 'width:420px;height:min(720px,100%);')
      : 'width:96px;height:96px;');
  }
  size();
  w.addEventListener('resize', size);
  function post(m) {
    m.ns = NS;
    if (ready) frame.contentWindow.postMessage(m, origin); else outbox.push(m);
  }
  function emit(name, data) {
    (handlers[name] || []).forEach(function (fn) { try { fn(data); } catch (e) { setTimeout(function () { throw e; }); } });
  }
  w.addEventListener('message', function (e) {
    var m = e.data;
    if (e.origin !== origin || e.source !== frame.contentWindow || !m || m.ns !== NS) return;
    if (m.type === 'ready') {
      ready = 1;
      // First the snippet's own settings, then the calls queued before the widget was ready.
      post({ type: 'cmd', cmd: 'init', args: [{ identity: ds.identity || null }] });
      outbox.splice(0).forEach(post);
      emit('ready', {});
    } else if (m.type === 'resize') {
      isOpen = !!m.open;
      size();
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
    try { post({ type: 'cmd', cmd: String(cmd), args: JSON.parse(JSON.stringify(args)) }); } catch (e) { emit('error', { code: 'bad_call' }); }
  }
  w.ChatWidget = api;
  queued.forEach(function (a) { api.apply(null, a); });
  function mount() { d.body.appendChild(frame); }
  if (d.body) mount(); else d.addEventListener('DOMContentLoaded', mount);
})();
