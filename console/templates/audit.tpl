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
  <a class="skip" href="#inhoud">Naar de inhoud</a>
  <span class="brand">KetenHub</span>
  <nav aria-label="Hoofdmenu"><a href="/audit" aria-current="page">Verantwoording</a></nav>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud">
<h1>Verantwoording</h1>
<section class="trail" aria-labelledby="logboek">
  <h2 id="logboek">Het logboek</h2>
  {{#VERIFIED}}<p class="ok">Het logboek is ongeschonden: {{TREE_SIZE}} records, door de hub ondertekend op {{SIGNED_AT}} en gecontroleerd tegen de publieke sleutel van de hub.</p>{{/VERIFIED}}
  {{#NOT_VERIFIED}}<p class="alarm" role="alert">Het logboek klopt NIET: {{PROBLEM}}</p>{{/NOT_VERIFIED}}
  <p class="small">Boomwortel <code>{{ROOT}}</code>, sleutel <code>{{KEY_ID}}</code>.</p>
</section>
<div class="questions">
<form method="post" action="/audit/betrokkene">
  <h2>Wie zag de gegevens van een betrokkene?</h2>
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="bsn">BSN van de betrokkene</label>
  <input id="bsn" name="bsn" inputmode="numeric" autocomplete="off" required maxlength="9">
  <button type="submit">Toon het toegangsrapport</button>
</form>
<form method="post" action="/audit/medewerker">
  <h2>Wat deed een medewerker?</h2>
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="medewerker">Medewerkernummer</label>
  <input id="medewerker" name="medewerker" autocomplete="off" required maxlength="64">
  <button type="submit">Toon het overzicht</button>
</form>
</div>
{{#HAS_ERROR}}<p class="alarm" role="alert">{{ERROR}}</p>{{/HAS_ERROR}}
{{#REPORT}}
<section aria-labelledby="rapport">
<h2 id="rapport">Rapport: {{ASKED}}</h2>
<p role="status">{{COUNT}} records{{#TRUNCATED}} (de eerste; verfijn de vraag of gebruik ketenctl audit export){{/TRUNCATED}}, oudste eerst.</p>
{{#NONE}}<p>Er zijn geen records.</p>{{/NONE}}
<table>
  <thead><tr><th scope="col">#</th><th scope="col">Tijd</th><th scope="col">Organisatie</th><th scope="col">Medewerker</th><th scope="col">Handeling</th><th scope="col">Uitkomst</th><th scope="col">Grondslag</th><th scope="col">Namens</th></tr></thead>
  <tbody>
  {{#ROW}}<tr><td>{{INDEX}}</td><td>{{WHEN}}</td><td>{{ACTOR}}</td><td>{{PERSON}}</td><td>{{OPERATION}}</td><td>{{OUTCOME}}</td><td>{{BASIS}}</td><td>{{BEHALF}}</td></tr>{{/ROW}}
  </tbody>
</table>
<p class="small">Afdrukken of bewaren als PDF: het menu en de formulieren vallen dan weg.</p>
</section>
{{/REPORT}}
</main>
</body>
</html>
