{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} — KetenHub</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header>
  <span class="brand">KetenHub</span>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud">
<h1>Welkom</h1>
<p>U bent aangemeld als auditor. De schermen voor het toegangsrapport en het overzicht per medewerker komen in een volgende versie; gebruik tot dan <code>ketenctl audit query</code> (zie de handleiding voor auditors).</p>
</main>
</body>
</html>
