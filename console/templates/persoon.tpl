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
  <nav aria-label="Hoofdmenu"><a href="/werklijst">Werklijst</a> <a href="/cijfers">Cijfers</a></nav>
  {{#SIGNED_IN}}
  <form class="signout" method="post" action="/afmelden">
    <span>{{NAME}} ({{FUNCTION}})</span>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <button type="submit">Afmelden</button>
  </form>
  {{/SIGNED_IN}}
</header>
<main id="inhoud">
<h1>Tijdlijn van één persoon</h1>
{{#HAS_NOTICE}}<p class="notice" role="status">{{NOTICE}}</p>{{/HAS_NOTICE}}
<p>{{COUNT}} signalen van {{PARTNER_COUNT}} partner(s), van {{FIRST}} tot {{LAST}}. Deze tijdlijn is pseudoniem: hij toont geen naam, BSN of inhoud. Open een signaal om te zien wat aan u is vrijgegeven.</p>
{{#MATCHED}}<p class="notice match-notice">Match: meer dan één partner signaleert deze persoon ({{PARTNER_LIST}}).</p>{{/MATCHED}}
<table>
  <caption>Oudste signaal eerst.</caption>
  <thead>
    <tr><th scope="col">Ontvangen</th><th scope="col">Van</th><th scope="col">Categorie</th><th scope="col">Urgentie</th><th scope="col">Status</th><th scope="col">Signaal</th></tr>
  </thead>
  <tbody>
  {{#ITEM}}
    <tr{{#VIA}} class="via"{{/VIA}}>
      <td>{{RECEIVED}}</td>
      <td>{{SOURCE}}{{#MATCH}} <span class="match">match</span>{{/MATCH}}</td>
      <td>{{CATEGORY}}</td>
      <td class="{{URGENCY_CLASS}}">{{URGENCY}}</td>
      <td>{{STATE}}{{#WITHDRAWN}} <span class="withdrawn">ingetrokken door de bron</span>{{/WITHDRAWN}}</td>
      <td><a href="/signaal/{{SIGNAL}}"><code>{{SIGNAL}}</code></a>{{#VIA}} <span class="small">(hier kwam u vandaan)</span>{{/VIA}}</td>
    </tr>
  {{/ITEM}}
  </tbody>
</table>
{{#POSSIBLE}}{{#POSSIBLE_first}}<h2>Mogelijke matches (niet zeker)</h2>
<p>Andere signalen, over een ander of onbekend persoon, delen een kenmerk met signalen van deze persoon. Vergelijk ze en beoordeel: één persoon, of niet.</p>
<ul class="possible-list">{{/POSSIBLE_first}}
  <li><a class="possible" href="/mogelijke-match/{{SIGNAL}}/{{OTHER}}">{{SOURCE}} en {{OTHER_SOURCE}} delen: {{KINDS}}</a></li>
{{#POSSIBLE_last}}</ul>{{/POSSIBLE_last}}{{/POSSIBLE}}
</main>
</body>
</html>
