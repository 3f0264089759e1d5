-- tasks.lua — the script tests/lua/lua_tasks.c runs in every task (ID, BASE,
-- sleep and fetch come from the host). Each part awaits somewhere Lua's C
-- code sits between the await and the task: under pcall (a setjmp), inside
-- a coroutine (lua_resume, another setjmp), in table.sort's comparator and
-- in string.gsub's replacement function (Lua calling Lua from C).
-- Returns one line: the parts' results separated by spaces.
local r = {}

-- An await under pcall, then an error after it: pcall catches the longjmp.
local ok, e = pcall(function()
  sleep(200)
  error({ code = ID })
end)
r[#r + 1] = (not ok and type(e) == "table" and e.code == ID) and "pcall" or ("pcall:" .. tostring(e))

-- An error raised by C (luaL_error) after an await: fetch of a missing page.
local ok2, e2 = pcall(fetch, BASE .. "/missing")
r[#r + 1] = (not ok2 and tostring(e2):match("HTTP 404")) and "404" or ("404:" .. tostring(e2))

-- Awaits inside a coroutine, across a yield and a resume.
local co = coroutine.wrap(function(a)
  sleep(10)
  local b = coroutine.yield(a * 2)
  return fetch(BASE .. "/n/" .. b)
end)
r[#r + 1] = co(ID) .. "," .. co(ID + 1)

-- An await in every comparison of table.sort.
local t = { 5, 2, 4, 1, 3 }
table.sort(t, function(a, b)
  sleep(1)
  return a > b
end)
r[#r + 1] = table.concat(t)

-- A fetch in every replacement of string.gsub.
r[#r + 1] = (("a-b"):gsub("%a", function(c) return fetch(BASE .. "/n/" .. c .. ID) end))

-- An error thrown inside a coroutine after an await, caught by pcall
-- around the resume (a longjmp within the coroutine's own setjmp).
local co2 = coroutine.create(function()
  sleep(5)
  error("co" .. ID)
end)
local ok3, e3 = coroutine.resume(co2)
r[#r + 1] = (not ok3 and tostring(e3):match("co%d+$")) or ("co:" .. tostring(e3))

return table.concat(r, " ")
