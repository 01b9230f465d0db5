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
<h1>Signaal van {{SOURCE}}</h1>
{{#HAS_NOTICE}}<p class="notice{{#NOTICE_ALERT}} refused{{/NOTICE_ALERT}}" role="status">{{NOTICE}}</p>{{/HAS_NOTICE}}
{{#PARTNERS}}<datalist id="partners">{{#PARTNER}}<option value="{{PARTNER}}"></option>{{/PARTNER}}</datalist>{{/PARTNERS}}
<dl class="facts">
  <dt>Categorie</dt><dd>{{CATEGORY}}</dd>
  <dt>Urgentie</dt><dd>{{URGENCY}}</dd>
  <dt>Ontvangen</dt><dd>{{RECEIVED}}</dd>
  <dt>Werklijst</dt><dd>{{STATE}}, toegewezen aan {{ASSIGNEE}}</dd>
  {{#HAS_HAND_OVER}}<dt>Overdracht</dt><dd>{{HAND_OVER_NOTE}}</dd>{{/HAS_HAND_OVER}}
  <dt>Betrokkene</dt><dd>{{SUBJECT}}</dd>
  {{#IDENTIFIERS}}<dt>Kenmerk</dt><dd>{{IDENTIFIER}}</dd>{{/IDENTIFIERS}}
  <dt>Gemeente</dt><dd>{{MUNICIPALITY}}</dd>
  <dt>Grondslag van de bron</dt><dd>{{LEGAL_BASIS}}</dd>
  <dt>Contact</dt><dd>{{CONTACT}}</dd>
  <dt>Signaal</dt><dd><code>{{SIGNAL}}</code></dd>
</dl>
<p><a href="/persoon/{{SIGNAL}}">Tijdlijn van deze persoon</a> (alle signalen over deze persoon, zonder inhoud)</p>
<h2>Samenvatting</h2>
<p class="summary">{{SUMMARY}}</p>
<h2>Delen</h2>
{{#PART}}
<section class="part">
  <h3>{{KIND}}</h3>
  {{#RELEASED}}<p class="disclosure">Vrijgegeven{{#NO_ONWARD}}: alleen voor deze casus, niet verder delen{{/NO_ONWARD}}</p>
  {{#RELEASE_NOTE}}<p class="small release-note">Vrijgegeven door {{RELEASED_BY}} op {{RELEASED_AT}}; grondslag: {{RELEASE_BASIS}}{{#HAS_BEHALF}}; namens {{BEHALF}}{{/HAS_BEHALF}}.</p>{{/RELEASE_NOTE}}
  <h4>{{PART_TITLE}}</h4><p>{{TEXT}}</p>{{/RELEASED}}
  {{#RELEASABLE}}
  <p class="disclosure">Achtergehouden; kan worden vrijgegeven met een grondslag.</p>
  <form method="post" action="/signaal/{{SIGNAL}}/vrijgeven">
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <input type="hidden" name="soort" value="{{KIND_NAME}}">
    <label for="grondslag-{{KIND_NAME}}">Grondslag voor vrijgeven</label>
    <input id="grondslag-{{KIND_NAME}}" name="grondslag" required maxlength="500">
    <label for="namens-{{KIND_NAME}}">Namens (partner; leeg: de bron)</label>
    <input id="namens-{{KIND_NAME}}" name="namens" list="partners" maxlength="64" autocomplete="off">
    <button type="submit">Vrijgeven</button>
  </form>
  {{/RELEASABLE}}
  {{#NEVER}}<p class="disclosure">Wordt op deze route nooit vrijgegeven.</p>{{/NEVER}}
</section>
{{/PART}}
<h2>Besluit</h2>
{{#DECIDED}}
<table class="history">
  <caption>Besluiten over dit signaal, het geldende bovenaan.</caption>
  <thead><tr><th scope="col">Wanneer</th><th scope="col">Uitkomst</th><th scope="col">Reden</th><th scope="col">Door (functie)</th><th scope="col">Namens</th><th scope="col">Waarom gewijzigd</th></tr></thead>
  <tbody>
  {{#DECISION}}<tr{{#CURRENT}} class="current"{{/CURRENT}}><td>{{DECIDED_AT}}{{#CURRENT}} <strong>(geldend)</strong>{{/CURRENT}}</td><td>{{OUTCOME}}{{#HANDED}}: {{HANDED_TO}}{{/HANDED}}</td><td>{{REASON}}</td><td>{{BY}}</td><td>{{BEHALF}}</td><td>{{CHANGE_REASON}}</td></tr>{{/DECISION}}
  </tbody>
</table>
{{/DECIDED}}
{{#WITH_OTHER}}<p>Dit signaal is overgedragen; besluiten kan weer als het wordt teruggegeven.</p>{{/WITH_OTHER}}
{{#CAN_DECIDE}}
<form class="decide" method="post" action="/signaal/{{SIGNAL}}/besluiten">
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="uitkomst">Uitkomst</label>
  <select id="uitkomst" name="uitkomst">{{#OUTCOMES}}<option value="{{VALUE}}">{{LABEL}}</option>{{/OUTCOMES}}</select>
  <label for="reden">Reden (gaat terug naar de bron)</label>
  <textarea id="reden" name="reden" required maxlength="500"></textarea>
  {{#TRIAGE}}<label for="overgedragen">Overgedragen aan (partner, bij overdracht)</label>
  <input id="overgedragen" name="overgedragen" list="partners" maxlength="64" autocomplete="off">{{/TRIAGE}}
  {{#CARE}}<label for="verwezen">Verwezen naar (opvang of zorgaanbieder, bij verwijzing)</label>
  <input id="verwezen" name="verwezen" maxlength="200" autocomplete="off">{{/CARE}}
  <label for="namens-besluit">Namens (partner; leeg: de bron)</label>
  <input id="namens-besluit" name="namens" list="partners" maxlength="64" autocomplete="off">
  {{#CHANGE}}<label for="wijziging">Waarom het besluit verandert</label>
  <input id="wijziging" name="wijziging" required maxlength="500">{{/CHANGE}}
  <button type="submit">Besluit vastleggen</button>
</form>
{{/CAN_DECIDE}}
{{#CAN_HAND_OVER}}
<h2>{{HAND_OVER_LABEL}}</h2>
<form method="post" action="/signaal/{{SIGNAL}}/overdragen">
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="overdrachtreden">Reden van de overdracht</label>
  <input id="overdrachtreden" name="reden" required maxlength="500">
  <button type="submit">{{HAND_OVER_LABEL}}</button>
</form>
{{/CAN_HAND_OVER}}
{{#CAN_CLOSE}}
<h2>Sluiten</h2>
<form method="post" action="/signaal/{{SIGNAL}}/sluiten">
  <input type="hidden" name="csrf" value="{{CSRF}}">
  <label for="sluitreden">Reden van afschaling</label>
  <input id="sluitreden" name="reden" required maxlength="500">
  <button type="submit">Sluiten</button>
</form>
{{/CAN_CLOSE}}
</main>
</body>
</html>
