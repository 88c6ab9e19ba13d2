vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.release",
  command = "setfiletype release",
})

-- The project root: the nearest folder above the file with a `.relc-root`
-- (else a `.git`), as `relc check` finds it; else the file's own folder.
local function relc_root(file)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  local marker = vim.fn.findfile(".relc-root", dir .. ";")
  if marker == "" then
    marker = vim.fn.finddir(".git", dir .. ";")
  end
  if marker == "" then
    return dir
  end
  local path = vim.fn.fnamemodify(marker, ":p"):gsub("/$", "")
  return vim.fn.fnamemodify(path, ":h")
end

local relc_clients = {} -- root folder -> client id (Neovim 0.7)
vim.api.nvim_create_autocmd("FileType", {
  pattern = "release",
  callback = function(args)
    local config = { name = "relc", cmd = { "relc", "lsp" }, root_dir = relc_root(args.file) }
    if vim.lsp.start then -- Neovim 0.8 or newer
      vim.lsp.start(config)
      return
    end
    local id = relc_clients[config.root_dir]
    if not (id and vim.lsp.get_client_by_id(id)) then
      id = vim.lsp.start_client(config)
      relc_clients[config.root_dir] = id
    end
    vim.lsp.buf_attach_client(args.buf, id)
  end,
})
