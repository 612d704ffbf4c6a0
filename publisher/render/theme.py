"""The theme: the folder's own ``templates/`` over the bundled default, rendered strictly."""

from __future__ import annotations

import contextlib
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.errors import Problem, PublisherError
from publisher.render.sandbox import sandbox

if TYPE_CHECKING:
    import jinja2

TEMPLATES_DIR = "templates"
#: The names of compiled templates in .publisher-cache/templates/.
COMPILED_PATTERN = "sandboxed-%s.cache"


def default_theme_dir() -> Path:
    """Return the bundled default theme: inside the package when installed, else the repo's."""
    package = Path(__file__).parent.parent
    packaged = package / "theme"
    if packaged.is_dir():
        return packaged
    return package.parent / TEMPLATES_DIR


def _wrap_text(text: str) -> str:
    """Wrap a paragraph for the plain-text email (the ``wrap_text`` filter)."""
    from publisher.render.text import wrap

    return wrap(text)


def _mix(colour: str, other: str, amount: float) -> str:
    from publisher.colours import mix

    return mix(colour, other, amount)


def _autoescape(name: str | None) -> bool:
    return bool(name) and not str(name).endswith((".txt.j2", ".css.j2"))


class Theme:
    """Loads and renders templates, turning template mistakes into user errors."""

    def __init__(self, root: Path, keep_compiled: bool = False, watch: bool = False) -> None:
        self.root = root
        #: Keep compiled templates in .publisher-cache/ (builds do; preview and render write
        #: nothing into the newsletter folder).
        self.keep_compiled = keep_compiled
        #: Look for edited templates at each render (the preview lives on; a build does not,
        #: and would stat every template for each issue).
        self.watch = watch
        self._paths: dict[str, Path] = {}
        own = root / TEMPLATES_DIR
        self.search_path = [p for p in (own, default_theme_dir()) if p.is_dir()]

    @cached_property
    def env(self) -> jinja2.Environment:
        """Return the Jinja environment, sandboxed (``render.sandbox``): made on first use, as a
        build with nothing to do needs none."""
        import jinja2

        compiled = self.root / ".publisher-cache" / "templates"
        if self.keep_compiled:
            with contextlib.suppress(OSError):
                compiled.mkdir(parents=True, exist_ok=True)
        env: jinja2.Environment = sandbox()(
            loader=_inside_loader()([str(p) for p in self.search_path], self.root),
            # Compiled templates are kept (keyed on the template source) for the next run; a
            # sandboxed template compiles to other code, so files of an unsandboxed one (an
            # older publisher's) are never read.
            bytecode_cache=(
                jinja2.FileSystemBytecodeCache(str(compiled), COMPILED_PATTERN)
                if self.keep_compiled and compiled.is_dir()
                else None
            ),
            undefined=jinja2.StrictUndefined,
            auto_reload=self.watch,
            autoescape=_autoescape,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["wrap_text"] = _wrap_text
        env.filters["mix"] = _mix
        return env

    def block_problems(self) -> list[Problem]:
        """Return a warning for each block an own template defines that the template it
        extends does not have: Jinja silently never shows it."""
        import jinja2
        from jinja2 import nodes

        problems: list[Problem] = []
        own = self.root / TEMPLATES_DIR
        for path in sorted(own.glob("*.j2")) if own.is_dir() else []:
            try:
                tree = self.env.parse(path.read_text(encoding="utf-8"))
                extends = next(iter(tree.find_all(nodes.Extends)), None)
            except (jinja2.TemplateSyntaxError, OSError, ValueError, RecursionError):
                continue  # reported where the template is rendered
            if extends is None or not isinstance(extends.template, nodes.Const):
                continue
            parent = str(extends.template.value)
            known = self.blocks_of(parent, {path.name})
            for block in tree.body:
                if isinstance(block, nodes.Block) and known is not None and block.name not in known:
                    problems.append(
                        Problem(
                            f"block {block.name!r} is not a block of {parent}, so it is never "
                            f"shown; {parent}'s blocks: {', '.join(sorted(known)) or 'none'}",
                            path,
                            block.lineno,
                            "rename it to one of those blocks",
                        )
                    )
        return problems

    def blocks_of(self, name: str, seen: set[str]) -> set[str] | None:
        """Return every block of template ``name`` and of those it extends (None: unknown)."""
        import jinja2
        from jinja2 import nodes

        if name in seen:
            return None
        try:
            source = self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
            tree = self.env.parse(source)
            blocks = {b.name for b in tree.find_all(nodes.Block)}
            extends = next(iter(tree.find_all(nodes.Extends)), None)
        except (jinja2.TemplateError, OSError, PublisherError, RecursionError):
            return None  # reported where the template is rendered
        if extends is not None and isinstance(extends.template, nodes.Const):
            blocks |= self.blocks_of(str(extends.template.value), seen | {name}) or set()
        return blocks

    def path_of(self, name: str) -> Path:
        """Return the file a template name resolves to."""
        if name in self._paths:
            return self._paths[name]
        found = next(
            (folder / name for folder in self.search_path if (folder / name).is_file()),
            Path(TEMPLATES_DIR) / name,
        )
        if not self.watch:
            self._paths[name] = found
        return found

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render template ``name``; any mistake in it is an error at its file and line."""
        import jinja2

        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise PublisherError.at(
                f"template error: {exc.message}",
                Path(exc.filename) if exc.filename else self.path_of(name),
                exc.lineno,
                "fix the Jinja syntax at that line",
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise PublisherError.at(
                f"template {exc.name!r} not found",
                self.path_of(name),
                hint="restore it, or delete your copy to use the bundled one",
            ) from exc
        except PublisherError:
            raise
        except Exception as exc:  # the template's own doing: it is code, run in a sandbox
            raise self._failure(name, exc) from exc

    def _failure(self, name: str, exc: Exception) -> PublisherError:
        """Return what stopped template ``name``, at its file and line."""
        from jinja2 import UndefinedError
        from jinja2.exceptions import SecurityError

        path, line = _template_position(exc, self.path_of(name))
        if isinstance(exc, UndefinedError):
            message = exc.message or str(exc)
            hint = "use only the variables listed in docs/reference/template-context.md"
        elif isinstance(exc, SecurityError):
            message = f"the theme's sandbox stops this: {exc}"
            hint = (
                "a theme reads the variables of docs/reference/template-context.md and calls "
                "only Jinja's functions and the methods of text, numbers, lists and dates; "
                "remove this, and trust no theme that does it"
            )
        elif isinstance(exc, RecursionError) and _reading(exc):
            message = "the template nests too deep for Jinja to read (it or one it extends)"
            hint = "nest fewer tags and brackets inside one another"
        elif isinstance(exc, RecursionError):
            message = "the template calls itself without end (a macro, include or extends)"
            hint = "stop the recursion: a template must not include or extend itself"
        else:
            message = f"{type(exc).__name__}: {exc}"
            hint = "fix the expression at that line"
        return PublisherError.at(f"template error: {message}", path, line, hint)


@lru_cache(maxsize=1)
def _inside_loader() -> type[Any]:
    """Return the template loader class (made on first use: jinja2 loads only when needed)."""
    import jinja2

    class InsideLoader(jinja2.FileSystemLoader):
        """Loads templates, refusing one of the folder's own that leads out of the folder."""

        def __init__(self, searchpath: list[str], root: Path) -> None:
            super().__init__(searchpath)
            self.own = str(root / TEMPLATES_DIR)
            self.real_root = os.path.realpath(root) + os.sep

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Any]:
            for folder in self.searchpath:
                path = os.path.join(folder, *template.split("/"))
                if os.path.isfile(path):
                    if folder == self.own and not os.path.realpath(path).startswith(self.real_root):
                        raise PublisherError.at(
                            "this template is a symbolic link to a file outside the newsletter "
                            "folder: it is never read",
                            Path(path),
                            hint="copy the template itself into templates/",
                        )
                    try:
                        return super().get_source(environment, template)
                    except UnicodeDecodeError as exc:
                        raise _not_utf8(Path(path), exc) from None
            return super().get_source(environment, template)

    return InsideLoader


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> PublisherError:
    """Return the error for a template that is not UTF-8 text, at the line of its first bad
    byte."""
    line = exc.object[: exc.start].count(b"\n") + 1
    return PublisherError.at(
        f"template error: the template is not UTF-8 text (byte {exc.object[exc.start]:#04x})",
        path,
        line,
        "save the template as UTF-8",
    )


def _reading(exc: BaseException) -> bool:
    """Tell whether an error arose while Jinja read or compiled a template, not ran it."""
    tb = exc.__traceback__
    while tb is not None:
        name = os.path.basename(tb.tb_frame.f_code.co_filename)
        if name in ("lexer.py", "parser.py", "compiler.py", "optimizer.py", "visitor.py"):
            return "jinja2" in tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return False


def _template_position(exc: BaseException, fallback: Path) -> tuple[Path, int | None]:
    """Find the template file and line in a rendering traceback."""
    tb = exc.__traceback__
    found: tuple[Path, int | None] = (fallback, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
