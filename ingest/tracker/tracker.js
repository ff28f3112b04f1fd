// Linkpulse tracker: the only code that runs on a visitor's device. No cookies, no storage, no
// fingerprinting; it sends a view on load and, for each link click, where on the page it happened.
// Every link's href is /r/<linkId> (counted server-side even without JavaScript); on click this
// script tags that URL with a click id (?c=) so ingest knows the redirect and the beacon are one
// click: the redirect counts it, the beacon only adds its position and time-to-click.
// Configured by its <script> tag: data-profile, data-endpoint (default /e), data-gpc="1" (the creator
// honours Global Privacy Control), data-internal="1" (the creator is viewing their own page). The
// creator's own browser is also recognised by the lp_owner cookie their dashboard sets (profile ids,
// no secret): the cached page is the same for everyone, so the marker has to live in the browser.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var data = script.dataset;
  if (data.gpc === '1' && navigator.globalPrivacyControl) return;
  var endpoint = data.endpoint || '/e';
  var owner = /(?:^|;\s*)lp_owner=([^;]*)/.exec(document.cookie);
  var internal = data.internal === '1' || (!!owner && owner[1].split('.').indexOf(data.profile) >= 0);
  var started = performance.now();
  // The page URL goes along only for what ingest keeps of it: utm_* and ?trigger=qr (a QR code's scan).
  var search = /[?&](utm_|trigger=)/.test(location.search) ? location.search : '';
  var scanned = /[?&]trigger=qr(&|$)/.test(search);

  function send(event) {
    event.p = data.profile;
    if (internal) event.i = 1;
    var body = JSON.stringify(event);
    // sendBeacon survives the page unloading; its text/plain body needs no CORS preflight.
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, body))) {
      fetch(endpoint, { method: 'POST', body: body, keepalive: true, headers: { 'content-type': 'text/plain' } }).catch(function () {});
    }
  }

  function clickId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  send({ t: 'view', r: document.referrer || undefined, u: search ? location.href : undefined });
  // Counted once: a reload, a bookmark or a copied address must not count as another scan.
  if (scanned && history.replaceState) {
    var clean = new URL(location.href);
    clean.searchParams.delete('trigger');
    history.replaceState(history.state, '', clean.pathname + clean.search + clean.hash);
  }

  function track(event) {
    var link = event.target.closest && event.target.closest('a[data-lp-link]');
    if (!link) return;
    var column = document.querySelector('[data-lp-content]') || document.body;
    var box = column.getBoundingClientRect();
    var x = event.clientX;
    var y = event.clientY;
    // A keyboard "click" has no pointer position: use the link's centre.
    if (!event.detail) {
      var own = link.getBoundingClientRect();
      x = own.left + own.width / 2;
      y = own.top + own.height / 2;
    }
    var id = clickId();
    send({
      t: 'click',
      l: link.getAttribute('data-lp-link'),
      c: id,
      x: Math.min(1, Math.max(0, (x - box.left) / (box.width || 1))),
      y: Math.max(0, Math.round(y - box.top)),
      vw: innerWidth,
      vh: innerHeight,
      ttc: Math.round(performance.now() - started),
    });
    var url = new URL(link.href);
    url.searchParams.set('c', id);
    if (internal) url.searchParams.set('i', '1');
    if (document.referrer) url.searchParams.set('ref', new URL(document.referrer).origin);
    new URLSearchParams(search).forEach(function (value, key) {
      if (key.indexOf('utm_') === 0) url.searchParams.set(key, value);
    });
    // A click during a visit that began with a scan is part of it.
    if (scanned) url.searchParams.set('trigger', 'qr');
    link.href = url.href;
  }
  // Capture phase, so the href is tagged before the browser follows it; auxclick covers middle clicks.
  document.addEventListener('click', track, true);
  document.addEventListener('auxclick', track, true);
})();
