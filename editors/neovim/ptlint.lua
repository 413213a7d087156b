-- ptlint for Neovim, with the built-in LSP client only (no plugins).
-- Works on Neovim 0.7 (Debian 12 ships 0.7.2) and later.
--
-- Put this file in ~/.config/nvim/lua/ptlint.lua and add to init.lua:
--
--   require('ptlint').setup()                       -- `ptlint` on PATH
--   require('ptlint').setup({
--     cmd = { '/path/to/ptlint', 'lsp', '--select', 'PTL2,PTL6' },
--     on_attach = function(client, bufnr) ... end,  -- any other vim.lsp client field
--   })
--
-- What it does: on every Python buffer, find the project root (the nearest
-- folder with pyproject.toml, ptlint.toml or .git; else the file's folder)
-- and attach the `ptlint lsp` client for that root, starting it once per
-- root. On 0.8+ that is `vim.lsp.start`, which reuses clients by name and
-- root itself; on 0.7 it is `vim.lsp.start_client` + `buf_attach_client`,
-- with the reuse done here.
--
-- Neovim 0.7 does not support dynamic file watchers; the server then polls
-- the checkpoints' and config files' mtimes (init_options.pollInterval, ms,
-- default 2000; 0 disables), see lsp/PROTOCOL.md.

local M = {}

M.defaults = {
  name = 'ptlint',
  cmd = { 'ptlint', 'lsp' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'ptlint.toml', '.git' },
  -- init_options = { pollInterval = 2000 },
}

local uv = vim.loop

--- The nearest ancestor of `path`'s folder holding one of `markers`.
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  local start = dir
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return start
end

-- The client config handed to vim.lsp: the user's options minus ours.
local function client_config(opts, root)
  local config = {}
  for k, v in pairs(opts) do
    if k ~= 'filetypes' and k ~= 'root_markers' then
      config[k] = v
    end
  end
  config.root_dir = root
  config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
  return config
end

-- Neovim 0.7: client id per root, started on demand.
local legacy_clients = {}

--- Attaches ptlint to `bufnr`. Returns the client id (nil if not started).
function M.attach(bufnr, opts)
  opts = opts or M.options or M.defaults
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' or path:match('^%a[%w+.-]*://') then
    return nil -- unnamed buffers and non-file URIs
  end
  local root = M.find_root(path, opts.root_markers)
  local config = client_config(opts, root)

  if vim.lsp.start then -- 0.8+
    return vim.lsp.start(config, { bufnr = bufnr })
  end

  local id = legacy_clients[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      vim.notify('ptlint: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    legacy_clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Registers the FileType autocmd (and attaches to already-open buffers).
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', {}, M.defaults, opts or {})
  if opts and opts.cmd then
    M.options.cmd = opts.cmd -- a list: replace, never merge by index
  end
  if vim.fn.executable(M.options.cmd[1]) ~= 1 then
    vim.notify('ptlint: `' .. M.options.cmd[1] .. '` is not executable; set cmd in require("ptlint").setup{}',
      vim.log.levels.WARN)
  end
  local group = vim.api.nvim_create_augroup('ptlint_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      M.attach(args.buf, M.options)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.options.filetypes, vim.bo[buf].filetype) then
      M.attach(buf, M.options)
    end
  end
end

return M
