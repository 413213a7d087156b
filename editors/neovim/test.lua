-- Headless Neovim (0.7+) against `ptlint lsp`, run by test.sh:
--
--   nvim --headless -u NONE -i NONE --noplugin -c 'luafile test.lua'
--
-- Environment: PTLINT_BIN (the binary), PTLINT_FIXTURE (the project made by
-- editors/make_fixture.py), PTLINT_NVIM_SNIPPET (editors/neovim/ptlint.lua),
-- PTLINT_NVIM_RESULT (report file), PTLINT_NVIM_TIMEOUT_MS.
--
-- 1. ptlint.lua's setup() attaches the client to src/model.py through the
--    FileType autocmd (on 0.7: start_client + buf_attach_client);
-- 2. diagnostics arrive: at least one with source `ptlint` and a PTL2xx
--    code, on the line the CLI reports (model.py:8 `self.encoder`, PTL204,
--    or :9 `self.norm`, PTL201);
-- 3. an unsaved edit (incremental didChange) that renames `encoder` back to
--    `features` makes the PTL204 go away;
-- 4. stopping the client (shutdown + exit) ends the server with code 0.
-- Exits 0 on success, 1 with the reasons in the report otherwise.

local report = {}
local function log(fmt, ...)
  report[#report + 1] = string.format(fmt, ...)
end

local result_file = assert(os.getenv('PTLINT_NVIM_RESULT'), 'PTLINT_NVIM_RESULT unset')
local function finish(ok)
  log(ok and 'RESULT: PASS' or 'RESULT: FAIL')
  local f = io.open(result_file, 'w')
  f:write(table.concat(report, '\n') .. '\n')
  f:close()
  vim.cmd(ok and 'qall!' or 'cquit 1')
end

local function main()
  local bin = assert(os.getenv('PTLINT_BIN'), 'PTLINT_BIN unset')
  local fixture = assert(os.getenv('PTLINT_FIXTURE'), 'PTLINT_FIXTURE unset')
  local snippet = assert(os.getenv('PTLINT_NVIM_SNIPPET'), 'PTLINT_NVIM_SNIPPET unset')
  local timeout = tonumber(os.getenv('PTLINT_NVIM_TIMEOUT_MS') or '') or 20000
  local v = vim.version()
  log('nvim %d.%d.%d; vim.lsp.start %s', v.major, v.minor, v.patch,
    vim.lsp.start and 'present (0.8+ path)' or 'absent (0.7 start_client path)')

  vim.lsp.set_log_level('debug')
  vim.cmd('filetype on')

  local exit_code, exit_signal
  local ptlint = dofile(snippet)
  ptlint.setup({
    cmd = { bin, 'lsp' },
    init_options = { pollInterval = 500 },
    on_exit = function(code, signal)
      exit_code, exit_signal = code, signal
    end,
  })

  local path = fixture .. '/src/model.py'
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].filetype ~= 'python' then
    log('FAIL: %s got filetype %q, not python', path, vim.bo[bufnr].filetype)
    return false
  end

  -- 1. attached and initialized? (0.7 lists a client only after initialize)
  local client
  vim.wait(timeout, function()
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == 'ptlint' then client = c end
    end
    return client ~= nil or exit_code ~= nil
  end, 20)
  if not client then
    log('FAIL: no initialized ptlint client on %s within %d ms (exit code %s: did `%s lsp` start and answer initialize?)',
      path, timeout, tostring(exit_code), bin)
    return false
  end
  log('client %d (%s) attached, root %s', client.id, client.name, client.config.root_dir)

  -- 2. diagnostics
  local function ptl2(diags)
    local found = {}
    for _, d in ipairs(diags) do
      if d.source == 'ptlint' and type(d.code) == 'string' and d.code:match('^PTL2%d%d$') then
        found[#found + 1] = d
      end
    end
    return found
  end
  -- The editor loop must not stall on ptlint's traffic: a 10 ms timer
  -- records the longest gap between its ticks from here to the end.
  local max_gap, last_tick = 0, vim.loop.hrtime()
  local ticker = vim.loop.new_timer()
  ticker:start(10, 10, function()
    local now = vim.loop.hrtime()
    max_gap = math.max(max_gap, (now - last_tick) / 1e6)
    last_tick = now
  end)
  local started = vim.loop.hrtime()
  local got = vim.wait(timeout, function()
    return #ptl2(vim.diagnostic.get(bufnr)) > 0 or exit_code ~= nil
  end, 50) and exit_code == nil
  local elapsed = (vim.loop.hrtime() - started) / 1e6
  if client.is_stopped() then
    log('FAIL: the server exited (code %s, signal %s) before sending diagnostics', tostring(exit_code), tostring(exit_signal))
    return false
  end
  for _, d in ipairs(vim.diagnostic.get()) do
    log('  diagnostic %s:%d:%d %s %s %s', vim.api.nvim_buf_get_name(d.bufnr), d.lnum + 1, d.col + 1,
      tostring(d.source), tostring(d.code), (d.message or ''):match('[^\n]*'))
  end
  if not got then
    log('FAIL: no diagnostic with source "ptlint" and a PTL2xx code on %s within %d ms', path, timeout)
    return false
  end
  local found = ptl2(vim.diagnostic.get(bufnr))
  log('ok: %d PTL2xx diagnostic(s) on src/model.py after %.0f ms (open -> diagnostics)', #found, elapsed)
  if elapsed > 1000 then
    log('FAIL: open -> diagnostics took %.0f ms (issue 13: at most 1000 ms)', elapsed)
    return false
  end
  local on_line, has204 = false, false
  for _, d in ipairs(found) do
    if d.lnum == 7 or d.lnum == 8 then on_line = true end
    if d.code == 'PTL204' and d.lnum == 7 then has204 = true end
  end
  if not on_line then
    log('FAIL: no PTL2xx diagnostic on line 8 or 9 of src/model.py, where `ptlint src/ ckpt/` puts them')
    return false
  end
  if not has204 then
    log('FAIL: no PTL204 (renamed attribute) on line 8 of src/model.py, where `ptlint src/ ckpt/` puts it')
    return false
  end

  -- 3. unsaved, incremental edit: `self.encoder` -> `self.features` on line 8
  --    (and in forward), so the checkpoint's `features.*` keys fit again.
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local s, e = line:find('self.encoder', 1, true)
    if s then
      vim.api.nvim_buf_set_text(bufnr, lnum - 1, s - 1 + 5, lnum - 1, e, { 'features' })
    end
  end
  local edited = vim.loop.hrtime()
  local gone = vim.wait(timeout, function()
    if exit_code ~= nil then return false end
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.code == 'PTL204' then return false end
    end
    return true
  end, 50)
  if not gone then
    log('FAIL: PTL204 is still shown %d ms after the buffer renamed `encoder` back to `features` (didChange, unsaved)', timeout)
    return false
  end
  local edit_ms = (vim.loop.hrtime() - edited) / 1e6
  log('ok: PTL204 cleared %.0f ms after an unsaved edit; now: %d diagnostic(s) on src/model.py', edit_ms,
    #vim.diagnostic.get(bufnr))
  if edit_ms > 500 then
    log('FAIL: edit -> updated diagnostics took %.0f ms (issue 13: at most 500 ms)', edit_ms)
    return false
  end
  ticker:stop()
  log('editor loop: longest gap between 10 ms timer ticks %.0f ms', max_gap)
  -- 100 ms is the goal (issue 13); the bound leaves room for a loaded CI
  -- machine, far below the seconds a publish on a checkpoint cost.
  if max_gap > 300 then
    log('FAIL: the editor loop stalled for %.0f ms', max_gap)
    return false
  end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(b)
    if name:match('%.pt$') then
      log('FAIL: Neovim made a buffer for checkpoint %s (diagnostics were published on it)', name)
      return false
    end
  end

  -- 4. shutdown + exit
  client.stop()
  local stopped = vim.wait(5000, function() return exit_code ~= nil end, 20)
  if not stopped then
    log('FAIL: the server did not exit within 5 s of shutdown/exit')
    return false
  end
  if exit_code ~= 0 then
    log('FAIL: the server exited with code %s (signal %s) after shutdown/exit; PROTOCOL.md says 0', tostring(exit_code), tostring(exit_signal))
    return false
  end
  log('ok: server exited with code 0 after shutdown/exit')
  return true
end

local ok, res = xpcall(main, debug.traceback)
if not ok then
  log('FAIL: Lua error: %s', tostring(res))
  finish(false)
else
  finish(res)
end
