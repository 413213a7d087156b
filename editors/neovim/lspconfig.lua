-- ptlint with nvim-lspconfig: a custom server config (ptlint is not in
-- lspconfig's list). Put this in init.lua (or a file it requires).
--
-- nvim-lspconfig's `require('lspconfig').X.setup{}` form works on Neovim 0.7+
-- with the lspconfig versions of that era and on current Neovim; on Neovim
-- 0.11+ the native form at the bottom needs no plugin at all.

local configs = require('lspconfig.configs')
local util = require('lspconfig.util')

if not configs.ptlint then
  configs.ptlint = {
    default_config = {
      cmd = { 'ptlint', 'lsp' },            -- add check options: '--select', 'PTL2,PTL6', ...
      filetypes = { 'python' },
      root_dir = util.root_pattern('pyproject.toml', 'ptlint.toml', '.git'),
      single_file_support = true,
      -- init_options = { pollInterval = 2000 },   -- ms; mtime polling when the client has no file watchers
    },
    docs = {
      description = [[
ptlint: why a PyTorch checkpoint will not load into today's code, and whether it is safe to load.
Build it from https://<where ptlint is hosted> and put `ptlint` on PATH.
]],
    },
  }
end

require('lspconfig').ptlint.setup({
  -- cmd = { '/path/to/ptlint', 'lsp' },
  -- on_attach = function(client, bufnr) end,
})

--[[ Neovim 0.11+, no plugin:

vim.lsp.config('ptlint', {
  cmd = { 'ptlint', 'lsp' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'ptlint.toml', '.git' },
})
vim.lsp.enable('ptlint')

--]]
