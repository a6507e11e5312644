#!/usr/bin/env python3
"""usage: jssite.py OUT_DIR [ARTICLES] — writes a news site whose articles are built by
script, as static files (for nginx): a static home page linking to the articles, each
article an empty shell (<div id="root">, a <noscript> asking for JavaScript) whose
title, date and body come from /api/article/N.json, three lazy images (data-src, loaded
when scrolled into view), a related block from /api/related/N.json and a call that
robots.txt disallows (/api/secret/). Also a server-rendered article (/static/1.html).
Writes truth.jsonl: one line per article with url, title, date and a sentence of its body.
The same site as tests/it/render.rs, for scripts/bench-render.sh."""
import base64
import json
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg=="
)
APP_JS = r"""(async () => {
  const root = document.getElementById('root');
  const id = root.dataset.id;
  const a = await (await fetch('/api/article/' + id + '.json')).json();
  document.title = a.title + ' | JS Info';
  root.innerHTML = '<article><h1>' + a.title + '</h1><time datetime="' + a.date + '">' +
    a.date + '</time>' + a.paragraphs.map(p => '<p>' + p + '</p>').join('') + '</article>';
  for (let k = 0; k < 3; k++) {
    const img = document.createElement('img');
    img.dataset.src = '/img/' + id + '-' + k + '.png';
    img.style = 'display:block;width:300px;height:500px';
    root.appendChild(img);
  }
  const io = new IntersectionObserver(entries => entries.forEach(e => {
    if (e.isIntersecting) { e.target.src = e.target.dataset.src; io.unobserve(e.target); }
  }));
  document.querySelectorAll('img[data-src]').forEach(i => io.observe(i));
  const related = await (await fetch('/api/related/' + id + '.json')).json();
  const aside = document.createElement('aside');
  aside.className = 'related';
  aside.innerHTML = '<h2>À lire aussi</h2><ul>' + related.map(r =>
    '<li><a href="/a/' + r + '.html">Article ' + r + '</a></li>').join('') + '</ul>';
  document.body.appendChild(aside);
  fetch('/api/secret/' + id + '.json').catch(() => {});
})();
"""
FILLER = ("La rédaction a recoupé les témoignages des habitants du quartier, qui décrivent "
          "une soirée agitée et des secours arrivés rapidement sur place.")


def write(path, data):
    full = os.path.join(out, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(full, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(data)


def title(i):
    return f"Le titre rendu de l'article {i}"


def date(i):
    return f"2026-10-{i % 28 + 1:02d}"


def marker(i):
    return f"Phrase unique de l'article numéro {i} construite par script."


shown = min(n, max(1, n - 10))
links = "".join(f'<li><a href="/a/{i}.html">Article {i}</a></li>' for i in range(1, shown + 1))
write("/index.html", "<!DOCTYPE html><html lang=\"fr\"><head><title>JS Info</title></head><body>"
      "<h1>JS Info</h1><p>Le site d'information dont les articles sont construits par script.</p>"
      f"<ul>{links}<li><a href=\"/static/1.html\">Un article statique</a></li></ul></body></html>")
write("/robots.txt", "User-agent: *\nDisallow: /api/secret/\n")
write("/app.js", APP_JS)
truth = []
for i in range(1, n + 1):
    write(f"/a/{i}.html", '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
          '<title>Chargement…</title><script src="/app.js" defer></script></head><body>'
          f'<div id="root" data-id="{i}"></div>'
          "<noscript>Activez JavaScript pour lire cet article.</noscript></body></html>")
    write(f"/api/article/{i}.json", json.dumps({
        "title": title(i), "date": date(i),
        "paragraphs": [marker(i), FILLER, FILLER, "Fin de l'article."]}, ensure_ascii=False))
    write(f"/api/related/{i}.json", json.dumps([(i + 9) % n + 1, i % n + 1]))
    write(f"/api/secret/{i}.json", "{}")
    for k in range(3):
        write(f"/img/{i}-{k}.png", PNG)
    truth.append({"path": f"/a/{i}.html", "title": title(i), "date": date(i), "marker": marker(i)})
paragraph = ("<p>Cet article est envoyé tout fait par le serveur, sans script aucun, avec assez "
             "de texte pour que personne ne le croie vide ou incomplet.</p>")
write("/static/1.html", "<!DOCTYPE html><html><head><title>Article statique</title></head><body>"
      "<article><h1>Article statique</h1><time datetime=\"2026-10-02\">2 octobre</time>"
      f"{paragraph * 4}</article></body></html>")
with open(os.path.join(out, "truth.jsonl"), "w", encoding="utf-8") as f:
    for t in truth:
        f.write(json.dumps(t, ensure_ascii=False) + "\n")
