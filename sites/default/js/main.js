/* portico welcome page: show when the page was loaded and which server
 * answered. Everything here is optional; the page works without it. */
(function () {
  'use strict';

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
    return el;
  }

  var now = new Date();
  var loaded = setText('loaded-at', now.toLocaleString());
  if (loaded) loaded.setAttribute('datetime', now.toISOString());

  // Links to the demo's other sites (app.localhost) keep this page's scheme
  // and port (https in make demo, HTTPS_PORT=8444 or PORT=8081).
  Array.prototype.forEach.call(document.querySelectorAll('a.vhost-link'), function (a) {
    var url = new URL(a.href);
    url.protocol = window.location.protocol;
    url.port = window.location.port;
    a.href = url.href;
  });

  setText('scheme-note', window.location.protocol === 'https:'
    ? 'You are reading this page over HTTPS.'
    : 'You are reading this page over plain HTTP.');

  if (typeof window.fetch !== 'function') {
    setText('server-header', 'unknown (this browser has no fetch)');
    return;
  }

  // A HEAD request for "/" returns the same headers as a GET, without a body.
  var controller = typeof AbortController === 'function' ? new AbortController() : null;
  var timer = controller ? setTimeout(function () { controller.abort(); }, 5000) : null;

  fetch('/', { method: 'HEAD', cache: 'no-store', signal: controller ? controller.signal : undefined })
    .then(function (res) {
      var server = res.headers.get('Server');
      setText('server-header', server ? server : 'not sent (HTTP ' + res.status + ')');
    })
    .catch(function (err) {
      setText('server-header', 'unavailable (' + (err && err.name ? err.name : 'request failed') + ')');
    })
    .then(function () {
      if (timer) clearTimeout(timer);
    });
}());
