-- Run after init.lua on the file under test: wait until the language server has
-- published diagnostics for the buffer, write them as JSON to $RELC_NVIM_OUT, quit.
-- The timeout only keeps a broken setup from hanging CI; run.sh reports it.
local out = os.getenv("RELC_NVIM_OUT")
local arrived = vim.wait(60000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
local roots = {}
for _, client in pairs(vim.lsp.get_active_clients()) do
  table.insert(roots, client.config.root_dir)
end
local result = { arrived = arrived, filetype = vim.bo.filetype, roots = roots, diagnostics = {} }
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, code = d.code, message = d.message })
end
local f = assert(io.open(out, "w"))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd("qall!")
