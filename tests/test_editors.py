"""`lawful lsp` in a real editor: Neovim (Debian's, headless) with its built-in LSP
client, configured by the `init.lua` block of docs/editors.md, opens a policy with
an error; the diagnostic it shows and a hover it asks for come from the server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent

POLICY = '''policy "editor-demo"

## Invoices to customers.
purpose billing basis contract
category contact.email

permit biling on contact.email to {DE}
'''

#: asks for the diagnostics and a hover once the server has published, writes them as JSON, quits
DRIVER = '''
local out = os.getenv("LAWFUL_NVIM_OUT")
local result = { diagnostics = {}, hover = {} }
result.waited = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, code = d.code,
    severity = d.severity, source = d.source })
end
local params = { textDocument = vim.lsp.util.make_text_document_params(),
  position = { line = tonumber(os.getenv("LAWFUL_HOVER_LINE")), character = tonumber(os.getenv("LAWFUL_HOVER_COL")) } }
for _, answer in pairs(vim.lsp.buf_request_sync(0, "textDocument/hover", params, 30000) or {}) do
  if answer.result and answer.result.contents then table.insert(result.hover, answer.result.contents.value) end
  if answer.err then table.insert(result.hover, "error: " .. vim.inspect(answer.err)) end
end
result.filetype = vim.bo.filetype
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.cmd("qa!")
'''


def documented_config() -> str:
    text = (ROOT / "docs/editors.md").read_text()
    match = re.search(r"<!-- neovim-config:[^>]*-->\n```lua\n(.*?)```", text, re.S)
    assert match, "docs/editors.md has the Neovim configuration block"
    return match.group(1)


def test_neovim_shows_the_servers_diagnostic_and_hover(tmp_path):
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is installed (.ci/run installs Debian's `neovim`)"
    (tmp_path / "init.lua").write_text(documented_config())
    (tmp_path / "driver.lua").write_text(DRIVER)
    (tmp_path / "policy.law").write_text(POLICY)
    out = tmp_path / "out.json"
    line = POLICY.split("\n").index("purpose billing basis contract")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "LAWFUL_NVIM_OUT": str(out), "LAWFUL_HOVER_LINE": str(line), "LAWFUL_HOVER_COL": "9",
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run([nvim, "--headless", "--clean", "-u", str(tmp_path / "init.lua"),
                           "-c", f"luafile {tmp_path / 'driver.lua'}", "policy.law"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["filetype"] == "lawful" and result["waited"], result
    [diagnostic] = result["diagnostics"]
    assert diagnostic["code"] == "E0201" and diagnostic["source"] == "lawful" and diagnostic["severity"] == 1
    assert "undefined purpose `biling`" in diagnostic["message"] and "did you mean `billing`?" in diagnostic["message"]
    assert (diagnostic["lnum"], diagnostic["col"]) == (POLICY.split("\n").index(
        "permit biling on contact.email to {DE}"), len("permit "))
    [hover] = result["hover"]
    assert "purpose billing basis contract" in hover and "Invoices to customers." in hover
    assert "Art. 6(1)(b)" in hover
