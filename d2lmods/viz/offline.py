"""HTML copies of notebooks that need no network: ``make demo`` writes ``build/notebooks/`` with it.

    python -m d2lmods.viz.offline --execute --output-dir build/notebooks notebooks/*.ipynb

nbconvert's own HTML loads four things from CDNs: require.js, the Jupyter widget manager (for
widget outputs), MathJax (for formulas) and mermaid. These copies load none of them:

* widget outputs show their ``text/html`` fallback, which the model explorer fills with a static
  copy of itself (drawing, tree, problems; :mod:`d2lmods.viz.static`); the widget state is not
  stored, so nbconvert never asks for the widget manager;
* formulas are rendered to MathML at export time (``latex2mathml``), which browsers draw natively;
* the page template leaves out the script tags of require.js, MathJax and mermaid.

Images are embedded, and nbconvert inlines its own stylesheets, so each page is one file.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from html import escape

TEMPLATE_NAME = "d2lmods-offline.html.j2"
# The lab template without the script tags that load code from CDNs.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def mathml(latex: str, display: str = "inline") -> str:
    """``latex`` as a MathML element; the LaTeX itself, as code, if it cannot be converted."""
    try:
        from latex2mathml.converter import convert
    except ImportError as err:  # the exporter cannot work without it: say how to get it
        raise ImportError(
            "offline HTML pages render formulas with latex2mathml: pip install latex2mathml "
            "(it is in d2lmods' 'notebooks' extra)"
        ) from err
    try:
        return convert(latex, display=display)
    except Exception:  # a formula latex2mathml does not know: show its source
        return f"<code>{escape(latex)}</code>"


def exporter():
    """An nbconvert ``HTMLExporter`` writing pages that load nothing from the network."""
    from jinja2 import DictLoader, pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class MathMLRenderer(IPythonRenderer):
        def inline_math(self, body: str) -> str:
            return mathml(body, "inline")

        def block_math(self, body: str) -> str:
            return mathml(body, "block")

        def latex_environment(self, name: str, body: str) -> str:
            return mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")

    class OfflineHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            renderer = MathMLRenderer(
                escape=False,
                attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=path,
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    return OfflineHTMLExporter(
        template_name="lab",
        template_file=TEMPLATE_NAME,
        extra_loaders=[DictLoader({TEMPLATE_NAME: TEMPLATE})],
        embed_images=True,
    )


def without_widget_state(nb):
    """``nb`` without stored widget state: its widget outputs then show their HTML fallback."""
    nb.metadata.pop("widgets", None)
    return nb


def export(path, output_dir, execute: bool = False, timeout: int = 600) -> pathlib.Path:
    """Write ``output_dir/<name>.html`` for the notebook at ``path`` (run first with ``execute``)."""
    import nbformat

    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent), "name": path.stem}}
    if execute:
        from nbconvert.preprocessors import ExecutePreprocessor

        ExecutePreprocessor(timeout=timeout, store_widget_state=False).preprocess(nb, resources)
    body, _ = exporter().from_notebook_node(without_widget_state(nb), resources=resources)
    out = pathlib.Path(output_dir) / f"{path.stem}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m d2lmods.viz.offline", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--output-dir", type=pathlib.Path, required=True)
    parser.add_argument("--execute", action="store_true", help="run each notebook first")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        print(export(nb, args.output_dir, execute=args.execute, timeout=args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
