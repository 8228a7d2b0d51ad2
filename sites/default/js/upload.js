/* portico upload page: list /uploads/ through the JSON directory listing,
 * delete files with DELETE, and send the form with fetch so the page stays
 * put. Without this script the form still works: the browser posts it and
 * portico answers with its own HTML page. */
(function () {
  'use strict';

  var DIR = '/uploads/';

  if (typeof window.fetch !== 'function' || typeof window.FormData !== 'function') {
    return; /* an old browser: the plain form and the /uploads/ link remain */
  }

  var form = document.getElementById('upload-form');
  var input = document.getElementById('file-input');
  var statusEl = document.getElementById('upload-status');
  var table = document.getElementById('file-table');
  var list = document.getElementById('file-list');
  var empty = document.getElementById('file-empty');

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = 'status-msg' + (kind ? ' ' + kind : '');
  }

  function formatSize(n) {
    if (n < 1024) return n + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'];
    var v = n, i = -1;
    do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + units[i];
  }

  function formatDate(httpDate) {
    var d = new Date(httpDate);
    return isNaN(d.getTime()) ? httpDate : d.toLocaleString();
  }

  function fileUrl(name) {
    return DIR + encodeURIComponent(name);
  }

  /* An answer that is not what we asked for: say what portico said. */
  function failure(res) {
    var what = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
    if (res.status === 413) what += ': too large for limits.body_size';
    if (res.status === 405) what += ': method not allowed here';
    return new Error(what);
  }

  function cell(row, text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function render(entries) {
    var files = entries.filter(function (e) { return e.type === 'file'; });
    while (list.firstChild) list.removeChild(list.firstChild);
    files.forEach(function (f) {
      var row = document.createElement('tr');
      row.setAttribute('data-name', f.name);

      var link = document.createElement('a');
      link.href = fileUrl(f.name);
      link.textContent = f.name; /* textContent: a name is never markup */
      cell(row).appendChild(link);

      var size = cell(row, formatSize(f.size), 'num');
      size.title = f.size + ' bytes';
      cell(row, formatDate(f.mtime));

      var del = document.createElement('button');
      del.type = 'button';
      del.className = 'btn btn-small btn-danger';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', 'Delete ' + f.name);
      del.addEventListener('click', function () { removeFile(f.name, del); });
      cell(row, undefined, 'actions').appendChild(del);

      list.appendChild(row);
    });
    table.hidden = files.length === 0;
    empty.hidden = files.length !== 0;
  }

  function refresh() {
    return fetch(DIR + '?format=json', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw failure(res);
        return res.json();
      })
      .then(render)
      .catch(function (err) {
        setStatus('Could not list ' + DIR + ' (' + err.message + ').', 'error');
      });
  }

  function removeFile(name, button) {
    button.disabled = true;
    fetch(fileUrl(name), { method: 'DELETE' })
      .then(function (res) {
        /* 204: deleted; 404: someone else was quicker. Either way it is gone. */
        if (res.status !== 204 && res.status !== 404) throw failure(res);
        setStatus('Deleted ' + name + '.', 'ok');
      })
      .catch(function (err) {
        button.disabled = false;
        setStatus('Could not delete ' + name + ' (' + err.message + ').', 'error');
      })
      .then(refresh);
  }

  form.addEventListener('submit', function (event) {
    if (!input.files || input.files.length === 0) return; /* let `required` speak */
    event.preventDefault();
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    var count = input.files.length;
    setStatus('Uploading ' + count + (count === 1 ? ' file' : ' files') + '\u2026', '');

    fetch(form.getAttribute('action'), {
      method: 'POST',
      body: new FormData(form),
      headers: { Accept: 'application/json' }
    })
      .then(function (res) {
        if (res.status !== 201) throw failure(res);
        return res.json();
      })
      .then(function (answer) {
        var names = answer.files.map(function (f) {
          return f.name + ' (' + formatSize(f.size) + ')';
        });
        setStatus('Uploaded ' + names.join(', ') + '.', 'ok');
        form.reset();
      })
      .catch(function (err) {
        setStatus('Upload failed: ' + err.message + '.', 'error');
      })
      .then(function () {
        button.disabled = false;
        return refresh();
      });
  });

  refresh();
}());
