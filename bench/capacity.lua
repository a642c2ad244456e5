-- wrk script of bench/bench_capacity.py: POSTs one JSON-RPC tools/call per request to /mcp, each
-- with another user's bearer token.
--
--   wrk -t2 -c32 -d5s --latency -s bench/capacity.lua http://127.0.0.1:PORT -- TOKENS BODY SEED
--
-- TOKENS: one "user<TAB>token" line per user, in the benchmark's seeded order (at least 10,000
--         users). BODY: the JSON-RPC body, where every "@USER@" is replaced by the line's user.
-- SEED:   each wrk thread shuffles the lines with its own generator, seeded SEED * 1000 + thread
--         number (Park-Miller, exact in doubles: the same order under Lua 5.1 and LuaJIT), then
--         cycles through them. init() stays short (wrk runs thread 1's init while thread 0 already
--         sends, and starts its clock after the last init): each request is built the first time its
--         turn comes and kept, so later cycles only return a string.
-- response() counts answers that are not HTTP 200 and tool errors ("isError":true); done() prints
-- one line, "CAPACITY {json}", which the Python side parses (latencies in microseconds).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local lines = {}
local requests = {}
local template = nil
local count = 0
local cursor = 0
non200 = 0
tool_errors = 0
responses = 0
tokens = 0
init_cpu_s = 0

local function read_file(path)
  local f = assert(io.open(path, "rb"), "capacity.lua: cannot open " .. tostring(path))
  local text = f:read("*a")
  f:close()
  return text
end

local function park_miller(seed)
  local state = seed % 2147483647
  if state <= 0 then state = state + 2147483646 end
  return function(n) -- an integer in 1..n
    state = (state * 16807) % 2147483647
    return (state % n) + 1
  end
end

function init(args)
  local tokens_path, body_path, seed = args[1], args[2], tonumber(args[3] or "1")
  assert(tokens_path and body_path, "usage: -- TOKENS BODY [SEED]")
  local clock0 = os.clock() -- process CPU time: an upper bound of this init's own
  template = read_file(body_path)
  for user, token in read_file(tokens_path):gmatch("([^\t\n]+)\t([^\n]+)") do
    lines[#lines + 1] = { user, token }
  end
  assert(#lines > 0, "capacity.lua: no 'user<TAB>token' lines in " .. tokens_path)
  local pick = park_miller(seed * 1000 + thread_number)
  for i = #lines, 2, -1 do -- Fisher-Yates with this thread's generator
    local j = pick(i)
    lines[i], lines[j] = lines[j], lines[i]
  end
  count = #lines
  tokens = count
  init_cpu_s = os.clock() - clock0
end

local function build(line)
  local body = template:gsub("@USER@", (line[1]:gsub("%%", "%%%%")))
  return wrk.format("POST", "/mcp", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["Authorization"] = "Bearer " .. line[2],
  }, body)
end

function request()
  cursor = cursor % count + 1
  local req = requests[cursor]
  if req == nil then
    req = build(lines[cursor])
    requests[cursor] = req
  end
  return req
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    non200 = non200 + 1
  elseif body:find('"isError":true', 1, true) then
    tool_errors = tool_errors + 1
  end
end

function done(summary, latency, requests_seen)
  local non, terr, resp, toks, init = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    init = init + t:get("init_cpu_s")
    non = non + t:get("non200")
    terr = terr + t:get("tool_errors")
    resp = resp + t:get("responses")
    toks = math.max(toks, t:get("tokens"))
  end
  local e = summary.errors
  io.write(string.format(
    'CAPACITY {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f,"stdev":%.1f},'
      .. '"non200":%d,"tool_errors":%d,"responses":%d,"tokens_per_thread":%d,"threads":%d,"init_cpu_s":%.4f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    latency.stdev, non, terr, resp, toks, #threads, init))
end
