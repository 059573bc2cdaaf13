-- SPDX-License-Identifier: GPL-2.0
--
-- redis-fill.lua: the data set of bench/guest-blk.sh's redis workload.
--   redis-cli --eval redis-fill.lua , FIRST COUNT SIZE
-- sets keys key:%012d (redis-benchmark's __rand_int__ form) FIRST ..
-- FIRST+COUNT-1 to SIZE-byte values: slices of a pseudo-random 64 KiB string
-- at key-dependent offsets, so no two pages are alike and zram or swap
-- compression gets no free lunch. Runs in the server: the fill costs no
-- client round trips. Returns COUNT.
local first, count, size = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local x, t = 88172645, {}
for i = 1, 65536 + size do
	x = (x * 1103515245 + 12345) % 2147483648
	t[i] = string.char(33 + math.floor(x / 65536) % 94)
end
local base = table.concat(t)
for k = first, first + count - 1 do
	local off = (k * 4099) % 65536 + 1
	redis.call('SET', string.format('key:%012d', k), string.sub(base, off, off + size - 1))
end
return count
