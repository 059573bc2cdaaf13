#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmemctl command line tests on the host: run the built binary and check
# exit codes, messages, that usage errors open no socket (nosock.so), valid
# JSON, and the "module not loaded" message. Prints TAP.
#
#   RMEMCTL=./rmemctl JSON_CHECK=build/asan/json_check NOSOCK=$PWD/build/nosock.so \
#       VERSION=0.1.0 tests/cli_test.sh
set -u

RMEMCTL=${RMEMCTL:-./rmemctl}
JSON_CHECK=${JSON_CHECK:-build/asan/json_check}
NOSOCK=${NOSOCK:-}
VERSION=${VERSION:-$(cat ../VERSION)}
# nosock.so is preloaded next to ASan: do not insist on ASan being first.
export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1}

n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {		# ok COND-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		sed 's/^/#   stdout: /' "$tmp/out"
		sed 's/^/#   stderr: /' "$tmp/err"
	fi
}

run() {		# run ARGS...: stdout, stderr, status in $tmp/{out,err}, $rc
	"$RMEMCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

run_nosock() {	# run, but any socket() exits 99
	if [ -n "$NOSOCK" ]; then
		LD_PRELOAD=$NOSOCK "$RMEMCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		"$RMEMCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
}

# usage_err "MESSAGE" ARGS...: exit 2, the one-line message then a usage
# hint on stderr, nothing on stdout, and no socket opened.
usage_err() {
	local want=$1
	shift
	run_nosock "$@"
	[ $rc -eq 2 ] && [ ! -s "$tmp/out" ] &&
		[ "$(head -n1 "$tmp/err")" = "rmemctl: $want" ] &&
		sed -n 2p "$tmp/err" | grep -q '^usage'
	ok $? "usage error, exit 2, no socket: rmemctl $* -> $want"
}

# ---- help and version ----
for h in help -h --help; do
	run_nosock $h
	[ $rc -eq 0 ] && grep -q '^Usage: rmemctl' "$tmp/out" &&
		grep -q 'rmemctl node add ADDR\[:PORT\]' "$tmp/out" &&
		grep -q 'rmemctl region add NAME size SIZE' "$tmp/out" && [ ! -s "$tmp/err" ]
	ok $? "'rmemctl $h' prints the full usage to stdout, exit 0, no socket"
done
for o in node region status version key; do
	run_nosock help $o
	[ $rc -eq 0 ] && grep -q "rmemctl $o" "$tmp/out"
	ok $? "'rmemctl help $o' prints that object's usage"
done
run_nosock node help
[ $rc -eq 0 ] && grep -q 'rmemctl node del ID|ADDR' "$tmp/out" && ! grep -q region "$tmp/out"
ok $? "'rmemctl node help' prints only node usage"
for v in -V --version; do
	run_nosock $v
	[ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "rmemctl $VERSION" ]
	ok $? "'rmemctl $v' prints 'rmemctl $VERSION', no socket"
done
run_nosock -V node add garbage
[ $rc -eq 0 ]
ok $? "-V wins over what follows it"

# ---- usage errors: nothing reaches the kernel ----
usage_err "missing OBJECT"
usage_err "missing OBJECT" -j
usage_err "unknown object 'frob'" frob
usage_err "unknown object 'nodes'" nodes
usage_err "unknown option '-x'" -x status
usage_err "unknown option '-x'" -jx status
usage_err "unknown option '--jason'" --jason status
usage_err "help: unknown object 'frob'" help frob
usage_err "help: unexpected argument 'x'" help node x
usage_err "node: unknown verb 'frob'" node frob
usage_err "region: unknown verb 'create'" region create
usage_err "status: unexpected argument 'now'" status now
usage_err "version: unexpected argument 'x'" version x
usage_err "node show: options go before OBJECT: '-j'" node show -j
usage_err "region add: options go before OBJECT: '--json'" region add swap0 size 4G --json
# node add
usage_err "node add: missing ADDR" node add
usage_err "node add: invalid address 'frob': not an IPv4 address (host names are not resolved)" node add frob
usage_err "node add: invalid address '10.0.0.256': not an IPv4 address (host names are not resolved)" node add 10.0.0.256
usage_err "node add: invalid address '10.0.0.2:0': the port must be 1-65535" node add 10.0.0.2:0
usage_err "node add: invalid address '10.0.0.2:65536': the port must be 1-65535" node add 10.0.0.2:65536
usage_err "node add: invalid address '10.0.0.2:': the port must be a number" node add 10.0.0.2:
usage_err "node add: invalid address '[::1': missing ']'" node add '[::1'
usage_err "node add: invalid address '[fe80::1%eth0]:7471': IPv6 scope ids are not supported" node add '[fe80::1%eth0]:7471'
usage_err "node add: '224.0.0.1' is not a unicast address" node add 224.0.0.1
usage_err "node add: '::' is not a unicast address" node add ::
usage_err "node add: unknown transport 'udp' (use tcp, rdma or auto)" node add 10.0.0.2 transport udp
usage_err "node add: 'transport' needs a value" node add 10.0.0.2 transport
usage_err "node add: 'transport' given twice" node add 10.0.0.2 transport tcp transport rdma
usage_err "node add: invalid timeout '30': missing unit (use ms, s, m or h)" node add 10.0.0.2 timeout 30
usage_err "node add: invalid timeout '1.5s': missing unit (use ms, s, m or h)" node add 10.0.0.2 timeout 1.5s
usage_err "node add: timeout '99ms' out of range (100ms to 1h)" node add 10.0.0.2 timeout 99ms
usage_err "node add: timeout '1h1ms' out of range (100ms to 1h)" node add 10.0.0.2 timeout 1h1ms
usage_err "node add: invalid timeout '99999999999999999999h': too long" node add 10.0.0.2 timeout 99999999999999999999h
usage_err "node add: 'timeout' given twice" node add 10.0.0.2 timeout 1s timeout 2s
usage_err "node add: unexpected argument 'port'" node add 10.0.0.2 port 7471
usage_err "node add: 'key' needs a value" node add 10.0.0.2 key
usage_err "node add: invalid key id 'abc' (16 hex digits, as 'rmemctl key list' prints)" node add 10.0.0.2 key abc
usage_err "node add: invalid key id '0x0123456789abcd' (16 hex digits, as 'rmemctl key list' prints)" node add 10.0.0.2 key 0x0123456789abcd
usage_err "node add: 'key' given twice" node add 10.0.0.2 key 0123456789abcdef key 0123456789abcdef
usage_err "node add: 'auth' needs a value" node add 10.0.0.2 auth
usage_err "node add: unknown auth 'off' (only 'auth none'; a key is the default)" node add 10.0.0.2 auth off
usage_err "node add: 'auth' given twice" node add 10.0.0.2 auth none auth none
usage_err "node add: 'key' and 'auth none' together: choose one" node add 10.0.0.2 key 0123456789abcdef auth none
usage_err "node add: 'key' and 'auth none' together: choose one" node add 10.0.0.2 auth none transport tcp key 0123456789abcdef
# key
usage_err "key: unknown verb 'import'" key import
usage_err "key add: missing FILE" key add
usage_err "key add: unexpected argument 'b'" key add a b
usage_err "key add: empty FILE name" key add ''
usage_err "key generate: missing FILE" key generate
usage_err "key generate: unexpected argument 'b'" key generate a b
usage_err "key del: missing KEYID" key del
usage_err "key del: unexpected argument 'x'" key del 0123456789abcdef x
usage_err "key del: invalid key id '1' (16 hex digits, as 'key list' prints)" key del 1
usage_err "key del: invalid key id '0123456789abcdeg' (16 hex digits, as 'key list' prints)" key del 0123456789abcdeg
usage_err "key show: unexpected argument 'x'" key show x
usage_err "key show: unexpected argument 'x'" key list x
# node del / show
usage_err "node del: missing ID or ADDR" node del
usage_err "node del: unexpected argument '2'" node del 1 2
usage_err "node del: invalid node id '4294967296'" node del 4294967296
usage_err "node del: invalid address '1x': not an IPv4 address (host names are not resolved)" node del 1x
usage_err "node drain: missing ID or ADDR" node drain
usage_err "node drain: unexpected argument '2'" node drain 1 2
usage_err "node show: invalid node id 'x'" node show x
usage_err "node show: unexpected argument '2'" node show 1 2
# region add
usage_err "region add: missing NAME" region add
usage_err "region add: missing 'size SIZE'" region add swap0
usage_err "region add: missing 'size SIZE'" region add swap0 type block
usage_err "region add: invalid region name 'a/b' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region add a/b size 4G
usage_err "region add: invalid region name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region add aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa size 4G
usage_err "region add: invalid region name '' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region add '' size 4G
usage_err "region add: size '1000' is not a multiple of 4096" region add swap0 size 1000
usage_err "region add: size must be greater than 0" region add swap0 size 0
usage_err "region add: invalid size '4Q': unknown unit (use K, M, G, T, P or E)" region add swap0 size 4Q
usage_err "region add: invalid size '-4G': a size starts with a digit" region add swap0 size -4G
usage_err "region add: invalid size '16E': too large" region add swap0 size 16E
usage_err "region add: 'size' needs a value" region add swap0 size
usage_err "region add: 'size' given twice" region add swap0 size 4G size 8G
usage_err "region add: unknown region type 'swap' (use block or mmap)" region add swap0 size 4G type swap
usage_err "region add: 'type' given twice" region add swap0 size 4G type block type mmap
usage_err "region add: replicas '0' must be 1, 2 or 3" region add swap0 size 4G replicas 0
usage_err "region add: replicas '4' must be 1, 2 or 3" region add swap0 size 4G replicas 4
usage_err "region add: replicas '22' must be 1, 2 or 3" region add swap0 size 4G replicas 22
usage_err "region add: replicas 'two' must be 1, 2 or 3" region add swap0 size 4G replicas two
usage_err "region add: 'replicas' needs a value" region add swap0 size 4G replicas
usage_err "region add: 'replicas' given twice" region add swap0 size 4G replicas 2 replicas 3
usage_err "region add: 'prealloc' given twice" region add swap0 size 4G prealloc prealloc
usage_err "region add: encrypt 'yes' must be on or off" region add swap0 size 4G encrypt yes
usage_err "region add: 'encrypt' needs a value" region add swap0 size 4G encrypt
usage_err "region add: 'encrypt' given twice" region add swap0 size 4G encrypt on encrypt off
usage_err "region add: unexpected argument 'thick'" region add swap0 size 4G thick
usage_err "region add: 'chunk' and 'cache' need 'type mmap'" region add m0 size 64M chunk 2M
usage_err "region add: 'chunk' and 'cache' need 'type mmap'" region add m0 size 64M type block cache 16M
usage_err "region add: chunk '3K' must be 4K, 8K, 16K ... 1M or 2M" region add m0 size 64M type mmap chunk 3K
usage_err "region add: chunk '4M' must be 4K, 8K, 16K ... 1M or 2M" region add m0 size 64M type mmap chunk 4M
usage_err "region add: 'chunk' given twice" region add m0 size 64M type mmap chunk 4K chunk 8K
usage_err "region add: cache '1000' must be a non-zero multiple of 4096" region add m0 size 64M type mmap cache 1000
usage_err "region add: 'cache' needs a value" region add m0 size 64M type mmap cache
# region add ... publish
usage_err "region add: 'publish' given twice" region add pub size 4G publish publish
usage_err "region add: 'publish' given twice" region add pub publish size 4G prealloc publish
usage_err "region add: 'publish' with 'encrypt on' needs 'key-file FILE' (the key its readers share)" region add pub size 4G publish encrypt on
usage_err "region add: 'publish' with 'encrypt on' needs 'key-file FILE' (the key its readers share)" region add pub encrypt on size 4G type mmap publish
usage_err "region add: 'key-file' is for 'publish' (a region of this host's own draws its key)" region add r size 4G key-file /k
usage_err "region add: 'key-file' and 'encrypt off' contradict each other" region add pub size 4G publish key-file /k encrypt off
usage_err "region add: 'key-file' given twice" region add pub size 4G publish key-file /k key-file /k
usage_err "region add: 'key-file' needs a value" region add pub size 4G publish key-file
usage_err "region add: empty key-file" region add pub size 4G publish key-file ''
usage_err "region add: missing 'size SIZE'" region add pub publish
usage_err "region add: unexpected argument 'purge'" region add pub size 4G purge
usage_err "region add: unexpected argument 'node'" region add pub size 4G node 1
# region del / show
usage_err "region del: missing NAME" region del
usage_err "region del: unexpected argument 'b'" region del a b
usage_err "region del: invalid region name 'a b' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region del 'a b'
usage_err "region del: 'purge' given twice" region del pub purge purge
usage_err "region del: unexpected argument 'now'" region del pub purge now
usage_err "region del: unexpected argument 'publish'" region del pub publish
usage_err "region show: unexpected argument 'b'" region show a b
# region seal
usage_err "region seal: missing NAME" region seal
usage_err "region seal: unexpected argument 'now'" region seal pub now
usage_err "region seal: invalid region name 'a/b' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region seal a/b
# region attach
usage_err "region attach: missing NAME" region attach
usage_err "region attach: invalid region name 'a b' (1 to 31 characters from A-Z a-z 0-9 _ . -)" region attach 'a b'
usage_err "region attach: 'node' needs a value" region attach pub node
usage_err "region attach: 'node' given twice" region attach pub node 1 node 2
usage_err "region attach: empty node list" region attach pub node ''
usage_err "region attach: empty element in the node list '1,,2'" region attach pub node 1,,2
usage_err "region attach: empty element in the node list ',1'" region attach pub node ,1
usage_err "region attach: empty element in the node list '1,'" region attach pub node 1,
usage_err "region attach: invalid node id '4294967296'" region attach pub node 1,4294967296
usage_err "region attach: invalid address 'node3': not an IPv4 address (host names are not resolved)" region attach pub node 1,node3
usage_err "region attach: invalid address '10.0.0.2:0': the port must be 1-65535" region attach pub node 10.0.0.2:0
usage_err "region attach: invalid address '[fe80::1%eth0]': IPv6 scope ids are not supported" region attach pub node '[fe80::1%eth0]'
usage_err "region attach: '3' is in the node list twice" region attach pub node 3,10.0.0.2,3
usage_err "region attach: '10.0.0.2:7471' is in the node list twice" region attach pub node 10.0.0.2:7471,10.0.0.3,10.0.0.2:7471
usage_err "region attach: more than 64 nodes in the node list" region attach pub node "$(seq -s, 1 65)"
usage_err "region attach: node '10.0.0.210.0.0.210.0.0.210.0.0.2...' in the node list is too long" region attach pub node "1,$(printf '10.0.0.2%.0s' $(seq 10))"
usage_err "region attach: 'chunk' and 'cache' need 'type mmap'" region attach pub type block chunk 4K
usage_err "region attach: 'chunk' and 'cache' need 'type mmap'" region attach pub cache 16M node 1 type block
usage_err "region attach: chunk '3K' must be 4K, 8K, 16K ... 1M or 2M" region attach pub chunk 3K
usage_err "region attach: 'chunk' given twice" region attach pub chunk 4K chunk 8K
usage_err "region attach: cache '1000' must be a non-zero multiple of 4096" region attach pub cache 1000
usage_err "region attach: 'cache' needs a value" region attach pub cache
usage_err "region attach: 'type' given twice" region attach pub type mmap type block
usage_err "region attach: unknown region type 'file' (use block or mmap)" region attach pub type file
usage_err "region attach: unexpected argument 'size'" region attach pub size 4G
usage_err "region attach: unexpected argument 'publish'" region attach pub publish
usage_err "region attach: unexpected argument '1,2'" region attach pub 1,2
usage_err "region attach: 'key-file' given twice" region attach pub key-file /k key-file /k
usage_err "region attach: 'key-file' needs a value" region attach pub key-file

# ---- key files: read and written without the module (common/rmem-key.c) ----
umask 022
run_nosock key generate "$tmp/k1"
[ $rc -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] &&
	[ "$(stat -c %a "$tmp/k1")" = 600 ] && grep -Eqx '[0-9a-f]{64}' "$tmp/k1"
ok $? "'key generate FILE' writes 64 hex digits, mode 0600 despite umask 022, no socket"
cp "$tmp/k1" "$tmp/k1.orig"
run_nosock key generate "$tmp/k1"
[ $rc -eq 1 ] && grep -q "exists; not overwriting it" "$tmp/err" && cmp -s "$tmp/k1" "$tmp/k1.orig"
ok $? "'key generate' refuses to overwrite an existing file, exit 1"
run_nosock key generate "$tmp/k2"
[ $rc -eq 0 ] && ! cmp -s "$tmp/k1" "$tmp/k2"
ok $? "two generated keys differ"
ln -s "$tmp/nowhere" "$tmp/link"
run_nosock key generate "$tmp/link"
[ $rc -eq 1 ] && [ ! -e "$tmp/nowhere" ]
ok $? "'key generate' does not follow a symbolic link"
run_nosock key generate "$tmp/nodir/k"
[ $rc -eq 1 ] && grep -q "No such file or directory" "$tmp/err"
ok $? "'key generate' into a missing directory: exit 1 with the reason"
# A bad key file is reported before the module is looked for.
chmod 644 "$tmp/k2"
run_nosock key add "$tmp/k2"
[ $rc -eq 1 ] && grep -q "mode 0644 lets other users read or change it; chmod 600" "$tmp/err" &&
	! grep -qi "$(cut -c1-16 "$tmp/k2")" "$tmp/err"
ok $? "'key add' of a group/world-readable file: refused, no socket, no key bytes printed"
run_nosock key add "$tmp/missing"
[ $rc -eq 1 ] && grep -q "key file $tmp/missing: No such file or directory" "$tmp/err"
ok $? "'key add' of a missing file: exit 1, no socket"
printf '0123\n' >"$tmp/short"; chmod 600 "$tmp/short"
run_nosock key add "$tmp/short"
[ $rc -eq 1 ] && grep -q "not a key" "$tmp/err"
ok $? "'key add' of a file that holds no key: exit 1, no socket"
run_nosock key add "$tmp"
[ $rc -eq 1 ] && grep -q "not a regular file" "$tmp/err"
ok $? "'key add' of a directory: exit 1, no socket"
# A published region's key file: the same reader, before the module too.
run_nosock region add pub size 4G publish key-file "$tmp/k2"
[ $rc -eq 1 ] && grep -q "mode 0644 lets other users read or change it; chmod 600" "$tmp/err" &&
	! grep -qi "$(cut -c1-16 "$tmp/k2")" "$tmp/err"
ok $? "'region add ... publish key-file' of a group/world-readable file: refused, no socket, no key bytes printed"
run_nosock region attach pub key-file "$tmp/short"
[ $rc -eq 1 ] && grep -q "not a key" "$tmp/err"
ok $? "'region attach ... key-file' of a file that holds no key: exit 1, no socket"

run_nosock region add "$(printf 'x\033[2Jy')" size 4G
[ $rc -eq 2 ] && grep -q "x?\[2Jy" "$tmp/err" && ! grep -q $'\033' "$tmp/err"
ok $? "a terminal escape in an argument is not echoed raw"
run_nosock region add swap0 size "$(head -c 5000 /dev/zero | tr '\0' 9)"
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ]
ok $? "a 5000-character argument gives a (truncated) one-line error"

# ---- valid command lines reach the kernel: here, no rmem family ----
if genl ctrl get name rmem >/dev/null 2>&1; then
	n=$((n + 1))
	echo "ok $n - # SKIP the rmem family is registered on this host"
else
	notloaded="rmemctl: the rmem module is not loaded (modprobe rmem)"
	for args in "status" "node show" "node" "node show 3" "node add 10.0.0.2" \
		"node add [fd00::2]:7471 transport rdma timeout 1m30s" "node del 3" \
		"node del 10.0.0.2:7471" "region show" "region show swap0" \
		"region add swap0 size 4G type mmap" "region del swap0" "-j status" \
		"-jp node ls" "region rm swap0" "node drain 3" \
		"region add swap0 size 4G replicas 2 prealloc" "region add s size 4G prealloc replicas 3" \
		"region add s size 4G encrypt off" "region add s size 4G type mmap encrypt on" \
		"node add 10.0.0.2 key 0123456789ABCDEF" "node add 10.0.0.2 auth none transport tcp" \
		"region add pub size 4G publish" "region add pub size 4G type mmap publish encrypt off" \
		"region add pub size 4G publish key-file $tmp/k1" "region attach pub key-file $tmp/k1" \
		"region seal pub" "region del pub purge" "region attach pub" \
		"region attach pub node 3,10.0.0.2,[fd00::2]:7471 type mmap chunk 2M cache 16M" \
		"region attach pub type block node 10.0.0.2:7472" "region attach pub node $(seq -s, 1 64)" \
		"key" "key list" "key show" "-j key ls" "key del 0123456789abcdef" "key add $tmp/k1"; do
		# shellcheck disable=SC2086
		run $args
		[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "$notloaded" ] && [ ! -s "$tmp/out" ]
		ok $? "no module: 'rmemctl $args' -> exit 1, '$notloaded'"
	done
	run version
	[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "$notloaded" ] &&
		grep -q "^rmemctl: *$VERSION\$" "$tmp/out" && grep -q '^module: *-$' "$tmp/out"
	ok $? "no module: 'rmemctl version' still prints the tool version, exit 1"
	for j in -j -p; do
		run $j version
		[ $rc -eq 1 ] && "$JSON_CHECK" <"$tmp/out" &&
			grep -q "\"rmemctl\": *\"$VERSION\"" "$tmp/out" &&
			grep -q '"module": *null' "$tmp/out"
		ok $? "no module: 'rmemctl $j version' prints valid JSON with module null"
	done
fi

# ---- apply (rmem.conf) without a module: the file is read and parsed first ----
run_nosock apply
[ $rc -eq 2 ] && grep -q "^rmemctl: apply: missing FILE" "$tmp/err"
ok $? "'apply' without FILE: usage error, exit 2, no socket"
run_nosock apply "$tmp/no-such.conf"
[ $rc -eq 1 ] && grep -q "^rmemctl: apply: $tmp/no-such.conf: No such file or directory" "$tmp/err"
ok $? "'apply' of a missing file: exit 1 with the reason, no socket"
printf 'node 10.0.0.2\nregion r size 1G swap\nregion r size 2G\n' >"$tmp/dup.conf"
run_nosock apply "$tmp/dup.conf"
[ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "rmemctl: apply: $tmp/dup.conf: line 3: region r is on line 2 already (nothing was changed)" ]
ok $? "'apply' of a file with a bad line: exit 2, the line named, nothing sent (no socket)"
printf 'node 10.0.0.2\nregion genome size 1G type mmap publish encrypt off\n' >"$tmp/pub.conf"
run_nosock apply "$tmp/pub.conf"
[ $rc -eq 2 ] && grep -q "^rmemctl: apply: $tmp/pub.conf: line 2: 'publish' has no place in rmem.conf" "$tmp/err"
ok $? "'apply' of a file with a published region: refused, the line named, nothing sent (no socket)"
printf '# nothing but a comment\n' >"$tmp/empty.conf"
run_nosock apply "$tmp/empty.conf"
[ $rc -eq 99 ] || [ $rc -eq 1 ]
ok $? "'apply' of a valid file goes on to the module (a socket; exit $rc)"

# ---- batch (-b FILE): each line a command, stopping at the first failure ----
printf 'help node  # a comment\n\n# only a comment\nnode add\nhelp\n' >"$tmp/usage.batch"
run_nosock -b "$tmp/usage.batch"
[ $rc -eq 2 ] && grep -q '^  rmemctl node add' "$tmp/out" &&
	[ "$(cat "$tmp/err")" = "rmemctl: $tmp/usage.batch: line 4: node add: missing ADDR" ] &&
	[ "$(grep -c '^Usage: rmemctl' "$tmp/out")" = 0 ]
ok $? "-b: line 1 runs, blank and comment lines are skipped, the usage error on line 4 stops it (exit 2, line named, line 5 not run, no socket)"
printf 'help key\nhelp region\n' >"$tmp/help.batch"
run_nosock --batch "$tmp/help.batch"
[ $rc -eq 0 ] && grep -q '^  rmemctl key generate' "$tmp/out" && grep -q '^  rmemctl region add' "$tmp/out"
ok $? "--batch: every line runs in order, exit 0"
printf 'help key\n' | run_nosock -b -
[ $rc -eq 0 ] && grep -q '^  rmemctl key generate' "$tmp/out"
ok $? "-b -: the commands come from standard input"
printf 'status\n' >"$tmp/status.batch"
run -b "$tmp/status.batch"
[ $rc -eq 1 ] && grep -q "not loaded" "$tmp/err" && grep -q "line 1 failed: stopping" "$tmp/err"
ok $? "-b: a command that fails (no module) stops the batch with exit 1 and names the line"
printf -- '-b %s\n' "$tmp/help.batch" >"$tmp/nested.batch"
run_nosock -b "$tmp/nested.batch"
[ $rc -eq 2 ] && grep -q "line 1: -b inside a batch file" "$tmp/err"
ok $? "-b inside a batch file is refused"
usage_err "-b needs a FILE" -b
usage_err "-b FILE takes the commands from FILE, not 'node'" -b "$tmp/help.batch" node
run_nosock -b "$tmp/no-such.batch"
[ $rc -eq 1 ] && grep -q "^rmemctl: -b: $tmp/no-such.batch: No such file or directory" "$tmp/err"
ok $? "-b of a missing file: exit 1 with the reason, no socket"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$tmp/big.batch"
run_nosock -b "$tmp/big.batch"
[ $rc -eq 1 ] && grep -q "longer than 1048576 bytes" "$tmp/err"
ok $? "-b of a file over 1 MiB is refused whole (nothing run)"

# ---- monitor ----
usage_err "monitor: unexpected argument 'now'" monitor now
run monitor
[ $rc -eq 1 ] && grep -q "not loaded" "$tmp/err"
ok $? "monitor without a module: exit 1, 'not loaded'"

# ---- output errors ----
if [ -w /dev/full ]; then
	"$RMEMCTL" help >/dev/full 2>"$tmp/err"
	rc=$?
	: >"$tmp/out"
	[ $rc -ne 0 ] && grep -q "cannot write" "$tmp/err"
	ok $? "a failed write of the output (/dev/full) is an error, not silence"
fi

# ---- bash completion (rmemctl.bash-completion) ----
# The module's names come from a stand-in for 'rmemctl -j OBJECT show'
# printing what the real one prints (compact and pretty JSON).
COMPLETION=${COMPLETION:-$(dirname "$0")/../rmemctl.bash-completion}
cat >"$tmp/fake" <<'FAKE'
#!/bin/bash
case "$*" in
"-j node show") echo '[{"id":3,"addr":"10.0.0.2"},{"id":12,"addr":"10.0.0.3"}]' ;;
"-j region show") printf '[\n  {\n    "name": "swap0",\n    "id": 1\n  },\n  {\n    "name": "weights",\n    "id": 2\n  }\n]\n' ;;
"-j key show") echo '[{"id":"f7ca7d773215dfa8","nodes":1}]' ;;
*) exit 1 ;;
esac
FAKE
chmod +x "$tmp/fake"
# comp WORDS...: the completions of the last word (may be ''), one line,
# sorted, into $tmp/out.
comp() {
	RMEMCTL_COMP_CMD=${RMEMCTL_COMP_CMD:-$tmp/fake} bash -c '
		. "$1"; shift
		COMP_WORDS=(rmemctl "$@"); COMP_CWORD=$#
		_rmemctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
		_ "$COMPLETION" "$@" >"$tmp/out" 2>"$tmp/err"
}
: >"$tmp/err"
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086 # ARGS are words; '' stands for an empty word
	eval "comp $args"
	[ "$(cat "$tmp/out")" = "$want" ]
	ok $? "completion of 'rmemctl $args': '$want' (got '$(cat "$tmp/out")')"
done <<'CASES'
''|apply help key monitor node region status version
--j|--json
--b|--batch
-b rmemctl.bash|rmemctl.bash-completion
-b b.batch ''|apply help key monitor node region status version
no|node
node ''|add del drain show
region ''|add attach del load seal show
key ''|add del generate show
node add 10.0.0.9 ''|auth key timeout transport
node add 10.0.0.9 transport ''|auto rdma tcp
node add 10.0.0.9 key ''|f7ca7d773215dfa8
node del ''|12 3
node drain 1|12
region del ''|swap0 weights
region show w|weights
region load ''|swap0 weights
region load weights /nonexistent/f ''|offset
region add big ''|cache chunk encrypt key-file prealloc publish replicas size type
region add big key-file /proc/self/statu''|/proc/self/status
region del swap0 ''|purge
region del swap0 purge ''|
region seal ''|swap0 weights
region attach ''|
region attach genome ''|cache chunk key-file node type
region attach genome key-file /proc/self/statu''|/proc/self/status
region attach genome type ''|block mmap
region attach genome node ''|12 3
region attach genome chunk ''|
region add big type ''|block mmap
region add big size 1G encrypt ''|off on
key del ''|f7ca7d773215dfa8
-j region show ''|swap0 weights
region add ''|
CASES
# Every OBJECT VERB that 'rmemctl help' lists is offered.
missing=
while read -r obj verb; do
	comp "$obj" ''
	[[ " $(cat "$tmp/out") " == *" $verb "* ]] || missing+=" $obj $verb"
done < <("$RMEMCTL" help | awk '$1 == "rmemctl" && $2 ~ /^(node|region|key)$/ { print $2, $3 }')
[ -z "$missing" ]
ok $? "completion offers every verb 'rmemctl help' lists (missing:${missing:- none})"
RMEMCTL_COMP_CMD=/nonexistent comp node del ''
[ -z "$(cat "$tmp/out")" ] && [ ! -s "$tmp/err" ]
ok $? "completion without a module (rmemctl fails): no names, no error output"

echo "1..$n"
[ $failed -eq 0 ]
