vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.release",
  command = "setfiletype release",
})

-- The project root, as `relc check` finds it: the nearest folder from the
-- file's own upwards with a `.relc-root` or `.git` entry, else the file's folder.
local function relc_root(file)
  local dir = vim.fn.resolve(vim.fn.fnamemodify(file, ":p:h"))
  local d = dir
  while vim.fn.getftype(d .. "/.relc-root") == "" and vim.fn.getftype(d .. "/.git") == "" do
    local parent = vim.fn.fnamemodify(d, ":h")
    if parent == d then
      return dir
    end
    d = parent
  end
  return d
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
