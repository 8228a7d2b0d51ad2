#!/usr/bin/php-cgi
<?php
// Hello from php-cgi: a few request values and the PHP version, in the
// welcome site's look (its stylesheet, header and footer).
header('Content-Type: text/html; charset=utf-8');

function e($s) { return htmlspecialchars((string)$s, ENT_QUOTES, 'UTF-8'); }

$keys = ['SERVER_SOFTWARE', 'GATEWAY_INTERFACE', 'SERVER_PROTOCOL', 'REQUEST_METHOD',
         'REQUEST_URI', 'SCRIPT_NAME', 'QUERY_STRING', 'REMOTE_ADDR', 'HTTP_USER_AGENT'];
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Hello from PHP &middot; portico</title>
  <link rel="icon" href="/img/logo.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/css/style.css">
</head>
<body>
  <header class="site-header">
    <div class="wrap header-inner">
      <a class="brand" href="/"><img src="/img/logo.svg" alt="" width="36" height="36"><span>portico</span></a>
      <nav aria-label="Site"><a href="/">Home</a> <a href="/cgi-bin/hello.py">Hello</a> <a href="/cgi-bin/form.py">Form</a> <a href="/upload.html">Upload</a></nav>
    </div>
  </header>
  <main class="wrap">
    <section class="page-intro">
      <h1>Hello from PHP <?= e(PHP_VERSION) ?>!</h1>
      <p class="lead">Run by <code>php-cgi</code>: what the request looks like from PHP.</p>
    </section>
    <table class="file-table">
      <thead><tr><th scope="col">Variable</th><th scope="col">Value</th></tr></thead>
      <tbody>
<?php foreach ($keys as $k): ?>
        <tr><th scope="row"><code><?= e($k) ?></code></th><td><?= e($_SERVER[$k] ?? '') ?></td></tr>
<?php endforeach; ?>
      </tbody>
    </table>
  </main>
  <footer class="site-footer">
    <div class="wrap">Drawn by <code>sites/default/cgi-bin/info.php</code> &middot; <a href="/">back to the welcome page</a></div>
  </footer>
</body>
</html>
