"""`relc lsp` driven by pytest-lsp's LanguageClient, once with the capabilities
VS Code announces and once with Neovim's. The server is the binary cargo built:
$RELC if set, else target/debug/relc, else target/release/relc."""

import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = pathlib.Path(__file__).resolve().parents[2]


def relc() -> str:
    if os.environ.get("RELC"):
        return os.environ["RELC"]
    for profile in ("debug", "release"):
        binary = REPO / "target" / profile / "relc"
        if binary.exists():
            return str(binary)
    raise RuntimeError("no relc binary: run `cargo build` first, or set RELC")


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    """A scratch project root; tests write their files into it."""
    (tmp_path / ".relc-root").write_text("")
    return tmp_path


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[relc(), "lsp"]),
    params=["visual-studio-code", "neovim"],
)
async def client(lsp_client: LanguageClient, request, project: pathlib.Path):
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="project")],
        )
    )
    assert result.capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
    yield
    await lsp_client.shutdown_session()
