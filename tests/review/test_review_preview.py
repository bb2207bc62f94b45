"""`make review-preview` builds a self-contained page and screenshots it in Chromium (installed from Debian,
so not here); the page itself is built offline and checked: GitHub's rendering, collapsed details,
diagrams left for Mermaid, and nothing that loads or runs besides our own scripts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

# Its node packages are installed by `make review-preview`, which runs this module first (`-m preview`).
pytestmark = pytest.mark.preview

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "tools" / "preview" / "render.mjs"

COMMENT = """<!-- rayfort-review:dev -->
# rayfort review: `dev`

## Verdict

❌ This change weakens security controls without a waiver:
- gke/cluster/cluster: private_cluster_config.enable_private_endpoint (the control plane gets a public endpoint)

## Changes against `origin/main`

| action | resource | attribute changes |
| --- | --- | --- |
| change | `cluster/cluster` (`google_container_cluster`) | `labels.team`: "a" → "<script>alert(1)</script>" |

<details>
<summary><strong>Stacks</strong>: 2 in deploy order</summary>

```mermaid
flowchart TD
  s_network["network"]
  s_gke["gke"]
  s_network --> s_gke
```

</details>
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    node = shutil.which("node")
    if node is None or not (RENDER.parent / "node_modules" / "marked").is_dir():
        pytest.fail("the preview needs node and its packages: run it through `make review-preview`")
    comment = tmp_path_factory.mktemp("preview") / "comment.md"
    comment.write_text(COMMENT)
    result = subprocess.run(
        [node, str(RENDER), "--html-only", str(comment)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert not comment.with_suffix(".png").exists(), "--html-only starts no browser"
    return comment.with_suffix(".html").read_text()


def _body(page: str) -> str:
    return page[page.index('<article class="comment markdown-body">') : page.index("</article>")]


def test_the_comment_renders_as_github_shows_it(page: str) -> None:
    body = _body(page)
    assert "<!-- rayfort-review:dev -->" in body and "rayfort-review:dev" not in re.sub(r"<!--.*?-->", "", body)
    assert "<h2>Verdict</h2>" in body and "<table>" in body and "<li>gke/cluster/cluster:" in body
    assert "<details>\n<summary><strong>Stacks</strong>: 2 in deploy order</summary>" in body, "collapsed"
    assert '<pre class="mermaid">flowchart TD\n  s_network[&quot;network&quot;]' in body
    assert "s_network --&gt; s_gke" in body, "the diagram's source is escaped, for Mermaid to read as text"
    assert re.search(r"\.comment \{[^}]*width: 800px", page), "a pull-request comment's width"
    assert "markdown-body" in page[: page.index("<body>")], "GitHub's stylesheet is inlined"


def test_the_page_loads_nothing_and_runs_only_its_own_scripts(page: str) -> None:
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in csp
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    head, body = page[: page.index("<article")], _body(page)
    scripts = re.findall(r"<script([^>]*)>", page[page.index("</article>") :])
    assert scripts == [f' nonce="{nonce}"'] * 2, "Mermaid and the drawing script, nothing else"
    assert "<script>alert(1)</script>" in body, "GitHub would strip it; here CSP keeps it from running"
    assert nonce not in body
    assert not re.search(r"<link|<script[^>]* src=|<img[^>]* src=\"http", head + body)
