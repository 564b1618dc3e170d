"""The language server for `.law` files (`lawful lsp`): `server` speaks LSP
through pygls; `analysis` reads a policy as the editor has it; `index` knows
where each name is declared and used; `hover` and `tokens` answer those
requests. docs/editors.md tells how to set editors up."""
