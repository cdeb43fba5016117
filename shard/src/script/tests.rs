//! Replies checked against redis-server 7.0.15: each case ran there with EVAL on an empty
//! database, and the expected bytes are what it answered.

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};

use super::*;
use crate::command::CommandSpec;
use crate::string::test_support::TestShard;

pub(super) fn lookup(name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    crate::families()
        .into_iter()
        .flatten()
        .enumerate()
        .find(|(_, s)| s.name.as_bytes().eq_ignore_ascii_case(name))
}

pub(super) fn bytes(items: &[&str]) -> Vec<Bytes> {
    items
        .iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

/// A shard, a VM and a watchdog; every key is held.
pub(super) struct Env {
    pub t: TestShard,
    pub vm: ScriptVm,
    pub watchdog: Watchdog,
}

impl Env {
    pub fn new() -> Env {
        Env {
            t: TestShard::new(),
            vm: ScriptVm::new(),
            watchdog: Watchdog::default(),
        }
    }

    pub fn eval_with(
        &mut self,
        body: &str,
        keys: &[&str],
        argv: &[&str],
        read_only: bool,
    ) -> Reply {
        let sha = sha1_hex(body.as_bytes());
        let holds = |_: &[u8]| true;
        let mut host = ShardHost::new(
            &mut self.t.shard,
            0,
            self.t.now,
            &lookup,
            &holds,
            read_only,
            false,
        );
        let opts = RunOptions {
            read_only,
            resp: RespVersion::Resp2,
            busy_after: std::time::Duration::from_secs(5),
            watchdog: &self.watchdog,
        };
        self.vm.run(
            &sha,
            body.as_bytes(),
            &bytes(keys),
            &bytes(argv),
            &mut host,
            &opts,
        )
    }

    pub fn eval(&mut self, body: &str, keys: &[&str], argv: &[&str]) -> Reply {
        self.eval_with(body, keys, argv, false)
    }
}

pub(super) fn wire(reply: &Reply, resp3: bool) -> String {
    let v = if resp3 {
        RespVersion::Resp3
    } else {
        RespVersion::Resp2
    };
    String::from_utf8_lossy(&reply.encode_to_vec(v)).into_owned()
}

/// script, KEYS, ARGV, RESP3 client, redis-server's reply
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    &'static [u8],
);

const CASES: &[Case] = &[
    ("return x", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: 03c387736bb5cc009ff35151572cee04677aa374, on @user_script:1.\r\n"),
    ("x = 1", &[], &[], false, b"-ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.\r\n"),
    ("return print", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: df4c752a7558004676bbee87e38b92e0b9056d68, on @user_script:1.\r\n"),
    ("return os", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: f03b5ad6e7d58786b6a5e879efbea4a4408f5c2f, on @user_script:1.\r\n"),
    ("return io", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'io' script: badfe324d30f60abd2dbecf4d4b0f915038384e2, on @user_script:1.\r\n"),
    ("return loadfile", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: a08fbe72c95f67027cc9b6349f5d335b598397b7, on @user_script:1.\r\n"),
    ("return dofile", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'dofile' script: 0c5f629ecf4a281cada464398cd571c2f6828b27, on @user_script:1.\r\n"),
    ("return debug", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 7f0eed9eaa523ec9e1ff69159f45a399473d9771, on @user_script:1.\r\n"),
    ("return getfenv", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'getfenv' script: 16cfebc0feae9751eb6419326840e1512625eb36, on @user_script:1.\r\n"),
    ("return setfenv", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'setfenv' script: 3ffeb955c6323bb75eb872e0e1bc7214ea8780d9, on @user_script:1.\r\n"),
    ("return newproxy", &[], &[], false, b"-ERR user_script:1: Script attempted to access nonexistent global variable 'newproxy' script: f77b925834a6a5cd4c3f954d604c77e44181c40f, on @user_script:1.\r\n"),
    ("return type(gcinfo)", &[], &[], false, b"$8\r\nfunction\r\n"),
    ("redis.foo = 1", &[], &[], false, b"-ERR user_script:1: Attempt to modify a readonly table script: 1afad7befb249f32b7b09d28680712e03c705ddb, on @user_script:1.\r\n"),
    ("string.foo = 1", &[], &[], false, b"-ERR user_script:1: Attempt to modify a readonly table script: 46f9bf166bc7e1ab2ed3b9de7b99c4e1e7dc1f7d, on @user_script:1.\r\n"),
    ("return redis.foo", &[], &[], false, b"$-1\r\n"),
    ("return string.foo", &[], &[], false, b"$-1\r\n"),
    ("_G.x = 1", &[], &[], false, b"-ERR user_script:1: Attempt to modify a readonly table script: e5cf4a26667af1721988fe8c9829d5cd2e26c62e, on @user_script:1.\r\n"),
    ("rawset(_G, \"x\", 1)", &[], &[], false, b"-ERR Attempt to modify a readonly table script: 65ef3ec3263f0393f2c50ec499529357012d55c2, on @user_script:1.\r\n"),
    ("return {pcall(rawset, _G, \"y\", 1)}", &[], &[], false, b"*2\r\n$-1\r\n$34\r\nAttempt to modify a readonly table\r\n"),
    ("setmetatable(_G, nil)", &[], &[], false, b"-ERR Attempt to modify a readonly table script: 22fdd3b51da2d4bc6703d71d651cd782d8e5a35f, on @user_script:1.\r\n"),
    ("local t = {} t.x = 1 return t.x", &[], &[], false, b":1\r\n"),
    ("local libs={cjson=1, bit=1, struct=1, cmsgpack=1} local r={} for k,v in pairs(_G) do if not libs[k] then r[#r+1]=k .. \":\" .. type(v) end end table.sort(r) return r", &[], &[], false, b"*31\r\n$10\r\nARGV:table\r\n$10\r\nKEYS:table\r\n$8\r\n_G:table\r\n$15\r\n_VERSION:string\r\n$30\r\n__redis__err__handler:function\r\n$15\r\nassert:function\r\n$23\r\ncollectgarbage:function\r\n$15\r\ncoroutine:table\r\n$14\r\nerror:function\r\n$15\r\ngcinfo:function\r\n$21\r\ngetmetatable:function\r\n$15\r\nipairs:function\r\n$13\r\nload:function\r\n$19\r\nloadstring:function\r\n$10\r\nmath:table\r\n$13\r\nnext:function\r\n$14\r\npairs:function\r\n$14\r\npcall:function\r\n$17\r\nrawequal:function\r\n$15\r\nrawget:function\r\n$15\r\nrawset:function\r\n$11\r\nredis:table\r\n$15\r\nselect:function\r\n$21\r\nsetmetatable:function\r\n$12\r\nstring:table\r\n$11\r\ntable:table\r\n$17\r\ntonumber:function\r\n$17\r\ntostring:function\r\n$13\r\ntype:function\r\n$15\r\nunpack:function\r\n$15\r\nxpcall:function\r\n"),
    ("local r={} for k,v in pairs(redis) do r[#r+1]=k end table.sort(r) return r", &[], &[], false, b"*23\r\n$9\r\nLOG_DEBUG\r\n$10\r\nLOG_NOTICE\r\n$11\r\nLOG_VERBOSE\r\n$11\r\nLOG_WARNING\r\n$13\r\nREDIS_VERSION\r\n$17\r\nREDIS_VERSION_NUM\r\n$8\r\nREPL_ALL\r\n$8\r\nREPL_AOF\r\n$9\r\nREPL_NONE\r\n$12\r\nREPL_REPLICA\r\n$10\r\nREPL_SLAVE\r\n$13\r\nacl_check_cmd\r\n$10\r\nbreakpoint\r\n$4\r\ncall\r\n$5\r\ndebug\r\n$11\r\nerror_reply\r\n$3\r\nlog\r\n$5\r\npcall\r\n$18\r\nreplicate_commands\r\n$8\r\nset_repl\r\n$7\r\nsetresp\r\n$7\r\nsha1hex\r\n$12\r\nstatus_reply\r\n"),
    ("local r={} for k,v in pairs(math) do r[#r+1]=k end table.sort(r) return r", &[], &[], false, b"*31\r\n$3\r\nabs\r\n$4\r\nacos\r\n$4\r\nasin\r\n$4\r\natan\r\n$5\r\natan2\r\n$4\r\nceil\r\n$3\r\ncos\r\n$4\r\ncosh\r\n$3\r\ndeg\r\n$3\r\nexp\r\n$5\r\nfloor\r\n$4\r\nfmod\r\n$5\r\nfrexp\r\n$4\r\nhuge\r\n$5\r\nldexp\r\n$3\r\nlog\r\n$5\r\nlog10\r\n$3\r\nmax\r\n$3\r\nmin\r\n$3\r\nmod\r\n$4\r\nmodf\r\n$2\r\npi\r\n$3\r\npow\r\n$3\r\nrad\r\n$6\r\nrandom\r\n$10\r\nrandomseed\r\n$3\r\nsin\r\n$4\r\nsinh\r\n$4\r\nsqrt\r\n$3\r\ntan\r\n$4\r\ntanh\r\n"),
    ("local r={} for k,v in pairs(string) do r[#r+1]=k end table.sort(r) return r", &[], &[], false, b"*15\r\n$4\r\nbyte\r\n$4\r\nchar\r\n$4\r\ndump\r\n$4\r\nfind\r\n$6\r\nformat\r\n$5\r\ngfind\r\n$6\r\ngmatch\r\n$4\r\ngsub\r\n$3\r\nlen\r\n$5\r\nlower\r\n$5\r\nmatch\r\n$3\r\nrep\r\n$7\r\nreverse\r\n$3\r\nsub\r\n$5\r\nupper\r\n"),
    ("local r={} for k,v in pairs(table) do r[#r+1]=k end table.sort(r) return r", &[], &[], false, b"*9\r\n$6\r\nconcat\r\n$7\r\nforeach\r\n$8\r\nforeachi\r\n$4\r\ngetn\r\n$6\r\ninsert\r\n$4\r\nmaxn\r\n$6\r\nremove\r\n$4\r\nsetn\r\n$4\r\nsort\r\n"),
    ("local r={} for k,v in pairs(coroutine) do r[#r+1]=k end table.sort(r) return r", &[], &[], false, b"*6\r\n$6\r\ncreate\r\n$6\r\nresume\r\n$7\r\nrunning\r\n$6\r\nstatus\r\n$4\r\nwrap\r\n$5\r\nyield\r\n"),
    ("return redis.REDIS_VERSION .. \" \" .. redis.REDIS_VERSION_NUM", &[], &[], false, b"$13\r\n7.0.15 458767\r\n"),
    ("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}", &[], &[], false, b"*5\r\n:0\r\n:1\r\n:2\r\n:2\r\n:3\r\n"),
    ("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", &[], &[], false, b"*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n"),
    ("return redis.replicate_commands()", &[], &[], false, b":1\r\n"),
    ("return redis.breakpoint()", &[], &[], false, b"$-1\r\n"),
    ("return redis.debug(\"x\")", &[], &[], false, b"$-1\r\n"),
    ("return redis.set_repl(redis.REPL_ALL)", &[], &[], false, b"$-1\r\n"),
    ("return redis.set_repl(9)", &[], &[], false, b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: f43d522179aeb2c4dadb59b026d11ed249ca02e0, on @user_script:1.\r\n"),
    ("return redis.set_repl(-1)", &[], &[], false, b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: 745493868ce735be1a1f08a9d115f18086342e9b, on @user_script:1.\r\n"),
    ("return redis.set_repl()", &[], &[], false, b"-ERR redis.set_repl() requires two arguments. script: 9504533b41060c143a92eb2f8878e77d33b6dc33, on @user_script:1.\r\n"),
    ("return redis.setresp(4)", &[], &[], false, b"-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n"),
    ("return redis.setresp()", &[], &[], false, b"-ERR redis.setresp() requires one argument. script: 76da64e28014e7c9ad76db33c3918c53d81a3d7e, on @user_script:1.\r\n"),
    ("return redis.setresp(\"3\")", &[], &[], false, b"$-1\r\n"),
    ("return redis.log()", &[], &[], false, b"-ERR redis.log() requires two arguments or more. script: 28e28bf25123668ac541f5eec91bf7ad3d2fe0bd, on @user_script:1.\r\n"),
    ("return redis.log(\"x\", \"y\")", &[], &[], false, b"-ERR First argument must be a number (log level). script: 29fcf9151605ed057b9c1a5ba8b2a91241a9563e, on @user_script:1.\r\n"),
    ("return redis.log(99, \"y\")", &[], &[], false, b"-ERR Invalid debug level. script: 2a888470cab4e0e8a2d7a43b40b4221551545f08, on @user_script:1.\r\n"),
    ("return redis.log(-1, \"y\")", &[], &[], false, b"-ERR Invalid debug level. script: 2d0070db9e90bac2d09f0dfce3878cd724106b50, on @user_script:1.\r\n"),
    ("return redis.log(redis.LOG_WARNING, \"hello\", 1, {})", &[], &[], false, b"$-1\r\n"),
    ("return redis.log(\"3\", \"hello\")", &[], &[], false, b"$-1\r\n"),
    ("return redis.sha1hex(\"\")", &[], &[], false, b"$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"),
    ("return redis.sha1hex()", &[], &[], false, b"-ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.\r\n"),
    ("return redis.sha1hex(1)", &[], &[], false, b"$40\r\n356a192b7913b04c54574d18c28d46e6395428ab\r\n"),
    ("return redis.sha1hex(1.5)", &[], &[], false, b"$40\r\naa8f289ebe6d4db1b4a1038b8931ec8c2b5399fb\r\n"),
    ("return redis.sha1hex({})", &[], &[], false, b"$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"),
    ("return redis.sha1hex(\"a\", \"b\")", &[], &[], false, b"-ERR wrong number of arguments script: 931446629ab9919f05ff9be31f1d5fa05a6f296c, on @user_script:1.\r\n"),
    ("return redis.acl_check_cmd(\"get\")", &[], &[], false, b":1\r\n"),
    ("return redis.acl_check_cmd(\"nosuch\")", &[], &[], false, b"-ERR Invalid command passed to redis.acl_check_cmd() script: 845c47ef9792d96c18d3ab32fa5bcfca46201d7a, on @user_script:1.\r\n"),
    ("return redis.acl_check_cmd()", &[], &[], false, b"-ERR Please specify at least one argument for this redis lib call script: 1124f33ad66e7866b4e0c1499a4c20fb5eb9c180, on @user_script:1.\r\n"),
    ("return redis.call()", &[], &[], false, b"-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n"),
    ("return redis.pcall()", &[], &[], false, b"-ERR Please specify at least one argument for this redis lib call\r\n"),
    ("return redis.call({})", &[], &[], false, b"-ERR Lua redis lib command arguments must be strings or integers script: 80747816df1f4411f7c442b928fce6a814214839, on @user_script:1.\r\n"),
    ("return redis.pcall(\"get\", {})", &[], &[], false, b"-ERR Lua redis lib command arguments must be strings or integers\r\n"),
    ("return redis.pcall(\"get\", true)", &[], &[], false, b"-ERR Lua redis lib command arguments must be strings or integers\r\n"),
    ("return redis.pcall(\"get\", nil)", &[], &[], false, b"-ERR Lua redis lib command arguments must be strings or integers\r\n"),
    ("return redis.call(\"nosuch\")", &[], &[], false, b"-ERR Unknown Redis command called from script script: 2218effcac8108416909801acfb39c080a85adfa, on @user_script:1.\r\n"),
    ("return redis.pcall(\"nosuch\")", &[], &[], false, b"-ERR Unknown Redis command called from script\r\n"),
    ("return redis.call(\"get\")", &[], &[], false, b"-ERR Wrong number of args calling Redis command from script script: ad9cf9305028be601cfd2abed4ce895eb41a4a6f, on @user_script:1.\r\n"),
    ("return redis.call(\"get\", \"a\", \"b\")", &[], &[], false, b"-ERR Wrong number of args calling Redis command from script script: 7a53847df68b6ae0453b8cdb014ed0c47d2dfd9e, on @user_script:1.\r\n"),
    ("return redis.call(\"object\", \"nosuch\")", &[], &[], false, b"-ERR Unknown Redis command called from script script: 5088061725ba685cbed0c7dfee46892474f07114, on @user_script:1.\r\n"),
    ("return redis.call(\"object\")", &[], &[], false, b"-ERR Wrong number of args calling Redis command from script script: 097d0429670df1a71d1c6dca6d81d192c3df7503, on @user_script:1.\r\n"),
    ("return redis.call(\"set\", \"k\", 1.5)", &[], &[], false, b"+OK\r\n"),
    ("redis.call(\"set\", \"k\", 3.0) return redis.call(\"get\", \"k\")", &[], &[], false, b"$1\r\n3\r\n"),
    ("redis.call(\"set\", \"k\", 0.1) return redis.call(\"get\", \"k\")", &[], &[], false, b"$19\r\n0.10000000000000001\r\n"),
    ("redis.call(\"set\", \"k\", 1e20) return redis.call(\"get\", \"k\")", &[], &[], false, b"$5\r\n1e+20\r\n"),
    ("redis.call(\"set\", \"k\", -0.0) return redis.call(\"get\", \"k\")", &[], &[], false, b"$2\r\n-0\r\n"),
    ("redis.call(\"set\", \"k\", 1e-17) return redis.call(\"get\", \"k\")", &[], &[], false, b"$22\r\n1.0000000000000001e-17\r\n"),
    ("return redis.pcall(\"set\", \"k\", 1e-17, \"PX\", 0)", &[], &[], false, b"-ERR invalid expire time in 'set' command\r\n"),
    ("return error(\"x\", 2)", &[], &[], false, b"-ERR x script: 2a300ed0d78fd36d66f62e7af4064e00f3980266, on @user_script:1.\r\n"),
    ("redis.call(\"set\", \"k\", 1/0) return redis.call(\"get\", \"k\")", &[], &[], false, b"$3\r\ninf\r\n"),
    ("redis.call(\"set\", \"k\", 0/0) return redis.call(\"get\", \"k\")", &[], &[], false, b"$4\r\n-nan\r\n"),
    ("redis.call(\"set\", \"k\", 2^53+1) return redis.call(\"get\", \"k\")", &[], &[], false, b"$16\r\n9007199254740992\r\n"),
    ("redis.call(\"set\", \"k\", \"v\") return redis.call(\"lpush\", \"k\", \"x\")", &[], &[], false, b"-WRONGTYPE Operation against a key holding the wrong kind of value script: 7adcb6fc337b33507f7a05a46bc08cb60e95fb66, on @user_script:1.\r\n"),
    ("redis.call(\"set\", \"k\", \"v\") return redis.pcall(\"lpush\", \"k\", \"x\")", &[], &[], false, b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("redis.call(\"set\", \"k\", \"v\") local r = redis.pcall(\"lpush\", \"k\", \"x\") return {r.err, tostring(r.ignore_error_stats_update)}", &[], &[], false, b"*2\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n$4\r\ntrue\r\n"),
    ("local r = redis.pcall(\"nosuch\") return {type(r), r.err}", &[], &[], false, b"*2\r\n$5\r\ntable\r\n$44\r\nERR Unknown Redis command called from script\r\n"),
    ("local r = redis.pcall(\"set\", \"k\", \"v\") return {type(r), r.ok}", &[], &[], false, b"*2\r\n$5\r\ntable\r\n$2\r\nOK\r\n"),
    ("return redis.error_reply(\"My Error\")", &[], &[], false, b"-My Error\r\n"),
    ("return redis.error_reply(\"-My Error\")", &[], &[], false, b"-My Error\r\n"),
    ("return redis.error_reply(\"MYCODE\")", &[], &[], false, b"-ERR MYCODE\r\n"),
    ("return redis.error_reply(\"\")", &[], &[], false, b"-ERR \r\n"),
    ("return redis.error_reply(\"-\")", &[], &[], false, b"-ERR \r\n"),
    ("return redis.error_reply(\"ERR x\\r\\ny\")", &[], &[], false, b"-ERR x  y\r\n"),
    ("return redis.error_reply(\"ERR x\\r\\n\")", &[], &[], false, b"-ERR x\r\n"),
    ("return redis.error_reply(1)", &[], &[], false, b"-ERR wrong number or type of arguments\r\n"),
    ("return redis.error_reply(\"a\", \"b\")", &[], &[], false, b"-ERR wrong number or type of arguments\r\n"),
    ("return redis.status_reply(\"FINE\")", &[], &[], false, b"+FINE\r\n"),
    ("return redis.status_reply(1)", &[], &[], false, b"-ERR wrong number or type of arguments\r\n"),
    ("return redis.status_reply(\"a\\r\\nb\")", &[], &[], false, b"+a  b\r\n"),
    ("return {err=\"x y\"}", &[], &[], false, b"-x y\r\n"),
    ("return {err=\"-x y\"}", &[], &[], false, b"--x y\r\n"),
    ("return {err=1}", &[], &[], false, b"*0\r\n"),
    ("return {ok=1}", &[], &[], false, b"*0\r\n"),
    ("return {err=\"A\\r\\nB\"}", &[], &[], false, b"-A  B\r\n"),
    ("return {ok=\"A\\r\\nB\"}", &[], &[], false, b"+A  B\r\n"),
    ("return {err=\"a\", ok=\"b\"}", &[], &[], false, b"-a\r\n"),
    ("return {ok=\"b\", double=1}", &[], &[], false, b"+b\r\n"),
    ("error(\"boom\")", &[], &[], false, b"-ERR user_script:1: boom script: 872b3fcb081448525c6141cdfa3df8374d30d162, on @user_script:1.\r\n"),
    ("error({err=\"MY boom\"})", &[], &[], false, b"-MY boom script: 6f210a79061330ed689d8391066504f6e8d371f5, on @user_script:1.\r\n"),
    ("error({err=\"boom\"})", &[], &[], false, b"-boom script: bd3a82afbbd971a48dc7593f7cb13f08ae5c57ee, on @user_script:1.\r\n"),
    ("error()", &[], &[], false, b"-ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.\r\n"),
    ("error(nil)", &[], &[], false, b"-ERR nil script: c402aa49952c86c38f35fb311d54977d08f3bf01, on @user_script:1.\r\n"),
    ("error(12)", &[], &[], false, b"-ERR user_script:1: 12 script: 531d78cb0a3022f46aa8fcca247caa61d303b321, on @user_script:1.\r\n"),
    ("error(\"boom\", 0)", &[], &[], false, b"-ERR boom script: 6d36be2ba591adb012b104a8949eb75a3e7284b5, on @user_script:1.\r\n"),
    ("error(true)", &[], &[], false, b"-ERR true script: 4fafe2149f68a1618a3eef40aeef55f5af6951da, on @user_script:1.\r\n"),
    ("local x = nil + 1", &[], &[], false, b"-ERR user_script:1: attempt to perform arithmetic on a nil value script: cd204846b476dfdb7c087f1a1cef2df50cc9a6e7, on @user_script:1.\r\n"),
    ("string.rep()", &[], &[], false, b"-ERR user_script:1: bad argument #1 to 'rep' (string expected, got no value) script: 2ec92a5bc2be10279b788c84861101755037b120, on @user_script:1.\r\n"),
    ("local ok, e = pcall(string.rep) return e", &[], &[], false, b"$54\r\nbad argument #1 to '?' (string expected, got no value)\r\n"),
    ("return {pcall(redis.call, \"nosuch\")}", &[], &[], false, b"*2\r\n$-1\r\n$44\r\nERR Unknown Redis command called from script\r\n"),
    ("return {pcall(error, {err=\"x\"})}", &[], &[], false, b"*2\r\n$-1\r\n$1\r\nx\r\n"),
    ("return {pcall(error, {err=5})}", &[], &[], false, b"*2\r\n$-1\r\n:5\r\n"),
    ("return {pcall(error, \"x\")}", &[], &[], false, b"*2\r\n$-1\r\n$1\r\nx\r\n"),
    ("return {pcall(error)}", &[], &[], false, b"*1\r\n$-1\r\n"),
    ("return {pcall(function() return x end)}", &[], &[], false, b"*2\r\n$-1\r\n$73\r\nuser_script:1: Script attempted to access nonexistent global variable 'x'\r\n"),
    ("return {pcall(function() y = 1 end)}", &[], &[], false, b"*2\r\n$-1\r\n$49\r\nuser_script:1: Attempt to modify a readonly table\r\n"),
    ("return {xpcall(function() error(\"z\") end, function(e) return \"h:\" .. e end)}", &[], &[], false, b"*2\r\n$-1\r\n$18\r\nh:user_script:1: z\r\n"),
    ("return 1.9", &[], &[], false, b":1\r\n"),
    ("return -1.9", &[], &[], false, b":-1\r\n"),
    ("return 1e300", &[], &[], false, b":-9223372036854775808\r\n"),
    ("return -1e300", &[], &[], false, b":-9223372036854775808\r\n"),
    ("return 0/0", &[], &[], false, b":-9223372036854775808\r\n"),
    ("return 2^62", &[], &[], false, b":4611686018427387904\r\n"),
    ("return true", &[], &[], false, b":1\r\n"),
    ("return false", &[], &[], false, b"$-1\r\n"),
    ("return nil", &[], &[], false, b"$-1\r\n"),
    ("return {1, 2, nil, 4}", &[], &[], false, b"*2\r\n:1\r\n:2\r\n"),
    ("return {1, \"a\", {2, {3}}, true, false}", &[], &[], false, b"*5\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n*1\r\n:3\r\n:1\r\n$-1\r\n"),
    ("return {1, false, 3}", &[], &[], false, b"*3\r\n:1\r\n$-1\r\n:3\r\n"),
    ("return {a=1}", &[], &[], false, b"*0\r\n"),
    ("return function() end", &[], &[], false, b"$-1\r\n"),
    ("return coroutine.create(function() end)", &[], &[], false, b"$-1\r\n"),
    ("return {1, nil}", &[], &[], false, b"*1\r\n:1\r\n"),
    ("return {nil, 1}", &[], &[], false, b"*0\r\n"),
    ("return redis.call(\"get\", \"nokey\")", &[], &[], false, b"$-1\r\n"),
    ("return redis.call(\"hgetall\", \"nokey\")", &[], &[], false, b"*0\r\n"),
    ("redis.call(\"hset\", \"hh\", \"a\", \"1\", \"b\", \"2\") return redis.call(\"hgetall\", \"hh\")", &[], &[], false, b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    ("return redis.call(\"incrbyfloat\", \"ff\", \"1.5\")", &[], &[], false, b"$3\r\n1.5\r\n"),
    ("return {redis.call(\"zadd\", \"zz\", \"1\", \"a\"), redis.call(\"zincrby\", \"zz\", \"1.5\", \"a\")}", &[], &[], false, b"*2\r\n:1\r\n$3\r\n2.5\r\n"),
    ("return {double=1.5}", &[], &[], false, b"$3\r\n1.5\r\n"),
    ("return {map={a=1}}", &[], &[], false, b"*2\r\n$1\r\na\r\n:1\r\n"),
    ("return {set={a=true}}", &[], &[], false, b"*1\r\n$1\r\na\r\n"),
    ("return {big_number=\"123\"}", &[], &[], false, b"$3\r\n123\r\n"),
    ("return {verbatim_string={format=\"txt\", string=\"hi\"}}", &[], &[], false, b"$2\r\nhi\r\n"),
    ("return {double=1/0}", &[], &[], false, b"$3\r\ninf\r\n"),
    ("return {double=-1/0}", &[], &[], false, b"$4\r\n-inf\r\n"),
    ("return {double=0.1}", &[], &[], false, b"$19\r\n0.10000000000000001\r\n"),
    ("return {big_number=\"1\\r\\n2\"}", &[], &[], false, b"$4\r\n1  2\r\n"),
    ("return {double=\"1.5\"}", &[], &[], false, b"*0\r\n"),
    ("return {double=1.5}", &[], &[], true, b",1.5\r\n"),
    ("return {map={a=1}}", &[], &[], true, b"%1\r\n$1\r\na\r\n:1\r\n"),
    ("return {set={a=true}}", &[], &[], true, b"~1\r\n$1\r\na\r\n"),
    ("return {big_number=\"123\"}", &[], &[], true, b"(123\r\n"),
    ("return {verbatim_string={format=\"txt\", string=\"hi\"}}", &[], &[], true, b"=6\r\ntxt:hi\r\n"),
    ("return {verbatim_string={format=\"mkdown\", string=\"hi\"}}", &[], &[], true, b"=6\r\nmkd:hi\r\n"),
    ("return {verbatim_string={format=\"t\", string=\"hi\"}}", &[], &[], true, b"=6\r\nt  :hi\r\n"),
    ("return {big_number=\"1\\r\\n2\"}", &[], &[], true, b"(1  2\r\n"),
    ("return {double=\"1.5\"}", &[], &[], true, b"*0\r\n"),
    ("return {double=0/0}", &[], &[], true, b",-nan\r\n"),
    ("return {double=1/0}", &[], &[], true, b",inf\r\n"),
    ("return {map={1,2,3}}", &[], &[], true, b"%3\r\n:1\r\n:1\r\n:2\r\n:2\r\n:3\r\n:3\r\n"),
    ("return {set={1,2,3}}", &[], &[], true, b"~3\r\n:1\r\n:2\r\n:3\r\n"),
    ("return {map={a=nil}}", &[], &[], true, b"%0\r\n"),
    ("return {map={[1.5]={2}, x=true}}", &[], &[], true, b"%2\r\n:1\r\n*1\r\n:2\r\n$1\r\nx\r\n:1\r\n"),
    ("return true", &[], &[], true, b":1\r\n"),
    ("return false", &[], &[], true, b"_\r\n"),
    ("return nil", &[], &[], true, b"_\r\n"),
    ("redis.setresp(3) return true", &[], &[], true, b"#t\r\n"),
    ("redis.setresp(3) return false", &[], &[], true, b"#f\r\n"),
    ("redis.setresp(3) return false", &[], &[], false, b":0\r\n"),
    ("redis.setresp(3) return true", &[], &[], false, b":1\r\n"),
    ("redis.setresp(3) return redis.call(\"hgetall\", \"nokey\")", &[], &[], true, b"%0\r\n"),
    ("redis.setresp(3) redis.call(\"hset\",\"h\",\"a\",\"1\") return redis.call(\"hgetall\", \"h\")", &[], &[], true, b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"),
    ("redis.setresp(3) redis.call(\"hset\",\"h\",\"a\",\"1\") return redis.call(\"hgetall\", \"h\")", &[], &[], false, b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
    ("redis.setresp(3) redis.call(\"hset\",\"h\",\"a\",\"1\") local t = redis.call(\"hgetall\", \"h\") return {type(t.map), t.map.a}", &[], &[], false, b"*2\r\n$5\r\ntable\r\n$1\r\n1\r\n"),
    ("redis.setresp(3) return redis.call(\"get\", \"nokey\")", &[], &[], false, b"$-1\r\n"),
    ("redis.setresp(3) return redis.call(\"get\", \"nokey\") == nil", &[], &[], false, b":1\r\n"),
    ("redis.setresp(3) return redis.call(\"get\", \"nokey\")", &[], &[], true, b"_\r\n"),
    ("redis.setresp(3) return redis.call(\"zscore\", \"nokey2\", \"x\")", &[], &[], false, b"$-1\r\n"),
    ("redis.setresp(3) redis.call(\"zadd\", \"z\", \"1.5\", \"x\") return redis.call(\"zscore\", \"z\", \"x\")", &[], &[], false, b"$3\r\n1.5\r\n"),
    ("redis.setresp(3) redis.call(\"zadd\", \"z\", \"1.5\", \"x\") return redis.call(\"zscore\", \"z\", \"x\")", &[], &[], true, b",1.5\r\n"),
    ("redis.setresp(3) redis.call(\"zadd\", \"z\", \"1.5\", \"x\") local d = redis.call(\"zscore\", \"z\", \"x\") return {type(d), d.double * 2}", &[], &[], false, b"*2\r\n$5\r\ntable\r\n:3\r\n"),
    ("redis.setresp(3) redis.call(\"sadd\", \"s\", \"a\") return redis.call(\"smembers\", \"s\")", &[], &[], false, b"*1\r\n$1\r\na\r\n"),
    ("redis.setresp(3) redis.call(\"sadd\", \"s\", \"a\") return redis.call(\"smembers\", \"s\")", &[], &[], true, b"~1\r\n$1\r\na\r\n"),
    ("redis.setresp(3) redis.call(\"sadd\", \"s\", \"a\") local t = redis.call(\"smembers\", \"s\") return {type(t.set), tostring(t.set.a)}", &[], &[], false, b"*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n"),
    ("redis.setresp(3) redis.call(\"zadd\", \"z\", \"1\", \"a\", \"2\", \"b\") return redis.call(\"zrange\", \"z\", 0, -1, \"withscores\")", &[], &[], true, b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
    ("redis.setresp(3) redis.call(\"zadd\", \"z\", \"1\", \"a\", \"2\", \"b\") local t = redis.call(\"zrange\", \"z\", 0, -1, \"withscores\") return {#t, t[1][1], type(t[1][2])}", &[], &[], false, b"*3\r\n:2\r\n$1\r\na\r\n$5\r\ntable\r\n"),
    ("redis.setresp(2) redis.call(\"zadd\", \"z\", \"1\", \"a\", \"2\", \"b\") return redis.call(\"zrange\", \"z\", 0, -1, \"withscores\")", &[], &[], false, b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    ("return redis.call(\"exists\", \"s\")", &[], &[], false, b":0\r\n"),
    ("return {a", &[], &[], false, b"-ERR Error compiling script (new function): user_script:1: '}' expected near '<eof>'\r\n"),
    ("return 1 +", &[], &[], false, b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"),
    ("#!lua", &[], &[], false, b"-ERR Invalid script shebang\r\n"),
    ("#!lua\nreturn 1", &[], &[], false, b":1\r\n"),
    ("#!lua\nerror('x')", &[], &[], false, b"-ERR user_script:2: x script: f0363b84b71234131413165ce8dee0dbb5f9ce96, on @user_script:2.\r\n"),
    ("#!lua\nreturn {", &[], &[], false, b"-ERR Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'\r\n"),
    ("#!lua flags=no-writes,allow-oom\nreturn 1", &[], &[], false, b":1\r\n"),
    ("#!lua flags=bad\nreturn 1", &[], &[], false, b"-ERR Unexpected flag in script shebang: bad\r\n"),
    ("#!lua bad=1\nreturn 1", &[], &[], false, b"-ERR Unknown lua shebang option: bad=1\r\n"),
    ("#!luax\nreturn 1", &[], &[], false, b"-ERR Unexpected engine in script shebang: #!luax\r\n"),
    ("#!lua name=x\nreturn 1", &[], &[], false, b"-ERR Unknown lua shebang option: name=x\r\n"),
    ("#!lua flags=\nreturn 1", &[], &[], false, b":1\r\n"),
    ("#!lua flags=no-writes,\nreturn 1", &[], &[], false, b"-ERR Unexpected flag in script shebang: \r\n"),
    ("#!lua  flags=no-writes\nreturn 1", &[], &[], false, b":1\r\n"),
    ("#! lua\nreturn 1", &[], &[], false, b"-ERR Unexpected engine in script shebang: #!\r\n"),
    ("#!lua flags=no-cluster,allow-cross-slot-keys,allow-stale\nreturn 1", &[], &[], false, b":1\r\n"),
    ("#!lua \"flags=no-writes\nreturn 1", &[], &[], false, b"-ERR Invalid engine in script shebang\r\n"),
    ("local t = KEYS return {#KEYS, #ARGV, KEYS[1], ARGV[1], KEYS[2]}", &["k1", "k2"], &["a"], false, b"*5\r\n:2\r\n:1\r\n$2\r\nk1\r\n$1\r\na\r\n$2\r\nk2\r\n"),
    ("KEYS = 1", &[], &[], false, b"-ERR user_script:1: Attempt to modify a readonly table script: 8726473c55e0c4527ed3b82564a764667277b20e, on @user_script:1.\r\n"),
    ("KEYS[1] = \"x\" return KEYS[1]", &["k"], &[], false, b"$1\r\nx\r\n"),
    ("return select('#', ...)", &[], &[], false, b":0\r\n"),
    ("return loadstring(\"return 1\")()", &[], &[], false, b":1\r\n"),
    ("return loadstring(\"x = 1\")()", &[], &[], false, b"-ERR [string \"x = 1\"]:1: Attempt to modify a readonly table script: d72c0e89690f0307c1e872c7e63a340dea260629, on x = 1:1.\r\n"),
    ("return {loadstring(\"return +\")}", &[], &[], false, b"*0\r\n"),
    ("return tostring(_G._G == _G)", &[], &[], false, b"$4\r\ntrue\r\n"),
    ("return type(unpack)", &[], &[], false, b"$8\r\nfunction\r\n"),
    ("return {string.format(\"%d\", 3), math.floor(2.5), table.concat({\"a\",\"b\"}, \",\")}", &[], &[], false, b"*3\r\n$1\r\n3\r\n:2\r\n$3\r\na,b\r\n"),
    ("return coroutine.wrap(function() return redis.call(\"set\", \"a\", \"b\") end)()", &[], &[], false, b"+OK\r\n"),
    ("return _VERSION", &[], &[], false, b"$7\r\nLua 5.1\r\n"),
    ("return type(collectgarbage(\"count\"))", &[], &[], false, b"$6\r\nnumber\r\n"),
    ("return getmetatable(\"\").__index == string", &[], &[], false, b":1\r\n"),
    ("return rawget(_G, \"redis\") == redis", &[], &[], false, b":1\r\n"),
    ("return {pcall(setmetatable, {}, {})}", &[], &[], false, b"*2\r\n:1\r\n*0\r\n"),
    ("local t = setmetatable({}, {__index=function() return 1 end}) return t.x", &[], &[], false, b":1\r\n"),
    ("return tostring(math.pi)", &[], &[], false, b"$15\r\n3.1415926535898\r\n"),
    ("return math.random(0)", &[], &[], false, b"-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.\r\n"),
    ("return math.random(5, 1)", &[], &[], false, b"-ERR user_script:1: bad argument #2 to 'random' (interval is empty) script: 1d8aa02a60cda8bed17d3a4d709a3e8508a63268, on @user_script:1.\r\n"),
    ("return math.random(\"x\")", &[], &[], false, b"-ERR user_script:1: bad argument #1 to 'random' (number expected, got string) script: a0285785ef794af73abc494e37f1ad88e7fcbf04, on @user_script:1.\r\n"),
    ("return math.random(1, 2, 3)", &[], &[], false, b"-ERR user_script:1: wrong number of arguments script: 07d2fd85ff1e5c39f9bd7d9163eddb0db34f2a7a, on @user_script:1.\r\n"),
    ("return math.randomseed()", &[], &[], false, b"-ERR user_script:1: bad argument #1 to 'randomseed' (number expected, got no value) script: 9eed10cf76a7a6865ba6e0fcf62b0b32831bf4da, on @user_script:1.\r\n"),
    ("local ok, e = pcall(math.random, \"x\") return e", &[], &[], false, b"$52\r\nbad argument #1 to '?' (number expected, got string)\r\n"),
    ("return __redis__err__handler ~= nil", &[], &[], false, b":1\r\n"),
    ("return {pcall(redis.setresp, 7)}", &[], &[], false, b"*2\r\n$-1\r\n$32\r\nERR RESP version must be 2 or 3.\r\n"),
];

#[test]
fn replies_match_redis() {
    let mut failures = Vec::new();
    for (body, keys, argv, resp3, want) in CASES {
        let mut env = Env::new();
        let got = wire(&env.eval(body, keys, argv), *resp3);
        let want = String::from_utf8_lossy(want);
        if got != want {
            failures.push(format!("{body:?}\n   got  {got:?}\n   want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn ints(items: &[i64]) -> Reply {
    Reply::Array(items.iter().map(|&n| Reply::Int(n)).collect())
}

#[test]
fn math_random_follows_redis_sequence() {
    // A fresh redis-server 7.0.15 answered these, in this order.
    let mut env = Env::new();
    let body = "return {math.random(), math.random(10), math.random(5, 100)}";
    assert_eq!(
        env.eval("return {math.random(), math.random(10)}", &[], &[]),
        ints(&[0, 9])
    );
    assert_eq!(env.eval(body, &[], &[]), ints(&[0, 5, 35]));
    assert_eq!(env.eval(body, &[], &[]), ints(&[0, 1, 61]));
    let seeded = "math.randomseed(7) return {math.random(1000), math.random(1000)}";
    assert_eq!(env.eval(seeded, &[], &[]), ints(&[267, 683]));
    assert_eq!(
        env.eval("return tostring(math.random())", &[], &[]),
        Reply::bulk("0.26549059351231")
    );
}

#[test]
fn read_only_runs_refuse_writes() {
    let mut env = Env::new();
    let body = "return redis.call('set','a','b')";
    assert_eq!(
        wire(&env.eval_with(body, &[], &[], true), false),
        "-ERR Write commands are not allowed from read-only scripts. script: \
         ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1.\r\n"
    );
    let body = "return redis.pcall('set','a','b')";
    assert_eq!(
        wire(&env.eval_with(body, &[], &[], true), false),
        "-ERR Write commands are not allowed from read-only scripts.\r\n"
    );
    assert_eq!(
        env.eval_with("return redis.call('get','a')", &[], &[], true),
        Reply::Null
    );
}

#[test]
fn scripts_are_cached_and_flushed() {
    let mut env = Env::new();
    let sha = sha1_hex(b"return {");
    assert_eq!(
        env.vm.load(&sha, b"return {"),
        Err(Reply::error(
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
        ))
    );
    let sha = sha1_hex(b"return 1");
    assert_eq!(env.vm.load(&sha, b"return 1"), Ok(()));
    assert_eq!(env.eval("return 1", &[], &[]), Reply::Int(1));
    env.vm.flush();
    assert_eq!(env.eval("return 1", &[], &[]), Reply::Int(1));
}

#[test]
fn self_referencing_table_stops_at_redis_depth() {
    let mut env = Env::new();
    let mut reply = env.eval("local t = {} t[1] = t return t", &[], &[]);
    let mut depth = 0;
    while let Reply::Array(mut items) = reply {
        assert_eq!(items.len(), 1);
        depth += 1;
        reply = items.remove(0);
    }
    assert_eq!(depth, 1000);
    assert_eq!(reply, Reply::error("ERR reached lua stack limit"));
}

/// A host that answers every call with +OK and can act on the watchdog from inside a run.
struct Probe<'w> {
    watchdog: &'w Watchdog,
    kill_on_call: bool,
    wrote: bool,
    abandon: bool,
    busy_seen: Vec<bool>,
}

impl ScriptHost for Probe<'_> {
    fn call(&mut self, _: &[Bytes]) -> Reply {
        self.busy_seen.push(
            self.watchdog
                .busy
                .load(std::sync::atomic::Ordering::Relaxed),
        );
        if self.kill_on_call {
            self.watchdog
                .kill
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if self.abandon {
            return Reply::error("ERR not here");
        }
        Reply::ok()
    }

    fn abandoned(&self) -> bool {
        self.abandon
    }

    fn wrote(&self) -> bool {
        self.wrote
    }

    fn command_exists(&self, _: &[u8]) -> bool {
        true
    }
}

fn probe_run(body: &str, probe: &mut Probe, busy_after: std::time::Duration) -> Reply {
    let mut vm = ScriptVm::new();
    let opts = RunOptions {
        read_only: false,
        resp: RespVersion::Resp2,
        busy_after,
        watchdog: probe.watchdog,
    };
    vm.run(
        &sha1_hex(body.as_bytes()),
        body.as_bytes(),
        &[],
        &[],
        probe,
        &opts,
    )
}

fn probe(watchdog: &Watchdog) -> Probe<'_> {
    Probe {
        watchdog,
        kill_on_call: false,
        wrote: false,
        abandon: false,
        busy_seen: Vec::new(),
    }
}

#[test]
fn script_kill_stops_a_run_even_through_pcall() {
    let watchdog = Watchdog::default();
    for body in [
        "redis.call('ping')\nwhile true do end",
        "redis.call('ping')\nwhile true do pcall(function() while true do end end) end",
        "redis.call('ping')\nwhile true do xpcall(function() while true do end end, function() end) end",
        "redis.call('ping')\nwhile true do coroutine.resume(coroutine.create(function() while true do end end)) end",
    ] {
        let mut p = probe(&watchdog);
        p.kill_on_call = true;
        let sha = sha1_hex(body.as_bytes());
        assert_eq!(
            probe_run(body, &mut p, std::time::Duration::from_secs(60)),
            Reply::error(format!(
                "ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:2."
            )),
            "{body}"
        );
        assert!(!watchdog.kill.load(std::sync::atomic::Ordering::Relaxed));
    }
}

#[test]
fn script_kill_spares_a_run_that_wrote() {
    let watchdog = Watchdog::default();
    let mut p = probe(&watchdog);
    p.kill_on_call = true;
    p.wrote = true;
    let body = "redis.call('ping') for i = 1, 300000 do end return 7";
    assert_eq!(
        probe_run(body, &mut p, std::time::Duration::from_secs(60)),
        Reply::Int(7)
    );
}

#[test]
fn busy_is_set_past_the_threshold_and_cleared_after() {
    let watchdog = Watchdog::default();
    let mut p = probe(&watchdog);
    let body = "redis.call('ping') for i = 1, 300000 do end redis.call('ping') return 1";
    assert_eq!(
        probe_run(body, &mut p, std::time::Duration::ZERO),
        Reply::Int(1)
    );
    assert_eq!(p.busy_seen, vec![false, true]);
    assert!(!watchdog.busy.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn abandoned_run_stops_even_when_pcalled() {
    let watchdog = Watchdog::default();
    for body in [
        "pcall(redis.call, 'get', 'far') while true do end",
        "redis.pcall('get', 'far') while true do end",
        "local ok = pcall(function() redis.call('get', 'far') end) redis.call('set', 'b', 1) return 1",
    ] {
        let mut p = probe(&watchdog);
        p.abandon = true;
        let reply = probe_run(body, &mut p, std::time::Duration::from_secs(60));
        assert!(matches!(reply, Reply::Error(_)), "{body}");
        assert_eq!(p.busy_seen.len(), 1, "{body}: no call after the refusal");
    }
}

#[test]
fn shard_host_undo_restores_written_keys() {
    let mut t = TestShard::new();
    t.run(&["set", "a", "old"]);
    t.run(&["pexpire", "a", "100000"]);
    t.run(&["hset", "h", "f", "1"]);
    let mut vm = ScriptVm::new();
    let watchdog = Watchdog::default();
    let opts = RunOptions {
        read_only: false,
        resp: RespVersion::Resp2,
        busy_after: std::time::Duration::from_secs(5),
        watchdog: &watchdog,
    };
    let body = "redis.call('set', 'a', 'new') redis.call('hset', 'h', 'g', '2') \
                redis.call('set', 'n', '1') redis.call('move', 'n', '3') \
                local ok = pcall(redis.call, 'get', 'far') redis.call('set', 'z', 1)";
    let holds = |k: &[u8]| k != b"far";
    let mut host = ShardHost::new(&mut t.shard, 0, t.now, &lookup, &holds, false, true);
    let reply = vm.run(
        &sha1_hex(body.as_bytes()),
        body.as_bytes(),
        &[],
        &[],
        &mut host,
        &opts,
    );
    assert!(matches!(reply, Reply::Error(_)));
    assert!(host.abandoned() && host.wrote());
    host.undo();
    assert_eq!(t.run(&["get", "a"]), Reply::bulk("old"));
    assert_eq!(t.run(&["pttl", "a"]), Reply::Int(100000));
    assert_eq!(t.run(&["hlen", "h"]), Reply::Int(1));
    assert_eq!(t.run(&["exists", "n", "z"]), Reply::Int(0));
    t.db = 3;
    assert_eq!(t.run(&["exists", "n"]), Reply::Int(0));
}

#[test]
fn shard_host_refuses_like_redis() {
    let mut t = TestShard::new();
    let holds = |_: &[u8]| true;
    let mut host = ShardHost::new(&mut t.shard, 0, t.now, &lookup, &holds, true, false);
    let call = |host: &mut ShardHost, args: &[&str]| host.call(&bytes(args));
    assert_eq!(
        call(&mut host, &["nosuch"]),
        Reply::error("ERR Unknown Redis command called from script")
    );
    assert_eq!(
        call(&mut host, &["get"]),
        Reply::error("ERR Wrong number of args calling Redis command from script")
    );
    assert_eq!(
        call(&mut host, &["set", "a", "b"]),
        Reply::error("ERR Write commands are not allowed from read-only scripts.")
    );
    assert_eq!(call(&mut host, &["get", "a"]), Reply::Null);
    assert!(!host.wrote() && !host.abandoned());
}
