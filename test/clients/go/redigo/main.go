// redigo against jupiter: the seed's Pool snippet, then the routing examples, a 1,000-command
// pipeline, MGET/DEL across nodes, a concurrent pool, a cluster-wide SCAN and the BLOB.* commands.
// Usage: redigo -addr 127.0.0.1:PORT. Prints one JSON line per check; exits 1 if any failed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomodule/redigo/redis"
)

type result struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

var failed bool

func report(check string, err error) {
	r := result{Check: check, OK: err == nil}
	if err != nil {
		r.Detail = err.Error()
		failed = true
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
}

func expect(what string, got, want interface{}) error {
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("%s: got %q, want %q", what, fmt.Sprint(got), fmt.Sprint(want))
	}
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6380", "jupiter address")
	flag.Parse()
	log.SetOutput(os.Stderr)

	// The seed's snippet, verbatim but for the address.
	hashKey := "hash=sample/hashkey"
	pool := &redis.Pool{
		MaxIdle:     3,
		MaxActive:   100,
		IdleTimeout: 240 * time.Second,
		Dial: func() (redis.Conn, error) {
			return redis.Dial("tcp", *addr)
		},
	}
	defer pool.Close()

	report("seed pool snippet: PING hash=sample/hashkey answers PONG", func() error {
		con := pool.Get()
		defer con.Close()
		v, err := redis.String(con.Do("PING", hashKey))
		if err != nil {
			log.Printf("PING failed: %v", err)
			return err
		}
		log.Printf("reply=%v", v)
		return expect("PING", v, "PONG")
	}())

	con := pool.Get()
	defer con.Close()

	report("SET/GET with hash=somekey", func() error {
		if v, err := redis.String(con.Do("SET", "hello", "world", "hash=somekey")); err != nil || v != "OK" {
			return fmt.Errorf("SET: %v %v", v, err)
		}
		v, err := redis.String(con.Do("GET", "hello", "hash=somekey"))
		if err != nil {
			return err
		}
		return expect("GET", v, "world")
	}())

	report("SET/GET without hash=", func() error {
		if v, err := redis.String(con.Do("SET", "plain:hello", "plain world")); err != nil || v != "OK" {
			return fmt.Errorf("SET: %v %v", v, err)
		}
		v, err := redis.String(con.Do("GET", "plain:hello"))
		if err != nil {
			return err
		}
		return expect("GET", v, "plain world")
	}())

	report("MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys", func() error {
		if v, err := redis.String(con.Do("MSET", "key1", "val1", "key2", "val2", "key3", "val3", "hash=somekey")); err != nil || v != "OK" {
			return fmt.Errorf("MSET: %v %v", v, err)
		}
		values, err := redis.Values(con.Do("SCAN", "0", "MATCH", "key*", "hash=somekey"))
		if err != nil {
			return err
		}
		cursor, err := redis.String(values[0], nil)
		if err != nil {
			return err
		}
		keys, err := redis.Strings(values[1], nil)
		if err != nil {
			return err
		}
		sort.Strings(keys)
		if err := expect("cursor", cursor, "0"); err != nil {
			return err
		}
		return expect("keys", strings.Join(keys, ","), "key1,key2,key3")
	}())

	report("pipelined Send/Flush/Receive of 1,000 commands answers in order", func() error {
		pc := pool.Get()
		defer pc.Close()
		for i := 0; i < 500; i++ {
			if err := pc.Send("SET", fmt.Sprintf("pipe:%d", i), fmt.Sprintf("value-%d", i)); err != nil {
				return err
			}
			if err := pc.Send("GET", fmt.Sprintf("pipe:%d", i)); err != nil {
				return err
			}
		}
		if err := pc.Flush(); err != nil {
			return err
		}
		for i := 0; i < 500; i++ {
			ok, err := redis.String(pc.Receive())
			if err != nil || ok != "OK" {
				return fmt.Errorf("reply %d: %v %v", 2*i, ok, err)
			}
			v, err := redis.String(pc.Receive())
			if err != nil {
				return fmt.Errorf("reply %d: %v", 2*i+1, err)
			}
			if err := expect(fmt.Sprintf("reply %d", 2*i+1), v, fmt.Sprintf("value-%d", i)); err != nil {
				return err
			}
		}
		return nil
	}())

	report("MGET across nodes returns values in request order, nil for a missing key", func() error {
		args := []interface{}{}
		want := []string{}
		for i := 0; i < 30; i++ {
			k := fmt.Sprintf("mget:%d", i)
			if _, err := con.Do("SET", k, fmt.Sprintf("m%d", i)); err != nil {
				return err
			}
			args = append(args, k)
			want = append(want, fmt.Sprintf("m%d", i))
			if i == 14 {
				args = append(args, "mget:missing")
				want = append(want, "<nil>")
			}
		}
		values, err := redis.Values(con.Do("MGET", args...))
		if err != nil {
			return err
		}
		got := make([]string, len(values))
		for i, v := range values {
			if v == nil {
				got[i] = "<nil>"
			} else {
				got[i] = string(v.([]byte))
			}
		}
		return expect("MGET", strings.Join(got, ","), strings.Join(want, ","))
	}())

	report("DEL across nodes answers the number of keys removed", func() error {
		args := []interface{}{"mget:missing"}
		for i := 0; i < 10; i++ {
			args = append(args, fmt.Sprintf("mget:%d", i))
		}
		n, err := redis.Int(con.Do("DEL", args...))
		if err != nil {
			return err
		}
		return expect("DEL", n, 10)
	}())

	report("64 goroutines sharing the pool: INCR totals and own keys read back", func() error {
		if _, err := con.Do("DEL", "pool:counter"); err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				c := pool.Get()
				defer c.Close()
				for i := 0; i < 25; i++ {
					if _, err := c.Do("INCR", "pool:counter"); err != nil {
						errs <- err
						return
					}
				}
				k := fmt.Sprintf("pool:own:%d", g)
				if _, err := c.Do("SET", k, g); err != nil {
					errs <- err
					return
				}
				v, err := redis.Int(c.Do("GET", k))
				if err != nil || v != g {
					errs <- fmt.Errorf("goroutine %d read %v %v", g, v, err)
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			return err
		}
		n, err := redis.Int(con.Do("GET", "pool:counter"))
		if err != nil {
			return err
		}
		return expect("counter", n, 64*25)
	}())

	report("SCAN over the whole cluster visits every key exactly once", func() error {
		want := map[string]bool{}
		for i := 0; i < 300; i++ {
			k := fmt.Sprintf("scan:%d", i)
			want[k] = true
			if err := con.Send("SET", k, i); err != nil {
				return err
			}
		}
		if _, err := con.Do(""); err != nil { // flushes and reads every pending reply
			return err
		}
		seen := map[string]int{}
		cursor := "0"
		for rounds := 0; ; rounds++ {
			if rounds > 10000 {
				return fmt.Errorf("SCAN did not finish")
			}
			values, err := redis.Values(con.Do("SCAN", cursor, "MATCH", "scan:*", "COUNT", "50"))
			if err != nil {
				return err
			}
			cursor, _ = redis.String(values[0], nil)
			keys, _ := redis.Strings(values[1], nil)
			for _, k := range keys {
				seen[k]++
			}
			if cursor == "0" {
				break
			}
		}
		for k, n := range seen {
			if n != 1 || !want[k] {
				return fmt.Errorf("key %s seen %d times", k, n)
			}
		}
		return expect("distinct keys", len(seen), len(want))
	}())

	report("BLOB.PUT of 1 MB, BLOB.GET and BLOB.GETRANGE give the bytes back, BLOB.DEL removes it", func() error {
		data := make([]byte, 1000*1000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		if ok, err := redis.String(con.Do("BLOB.PUT", "go/blob", data)); err != nil || ok != "OK" {
			return fmt.Errorf("BLOB.PUT: %v %v", ok, err)
		}
		back, err := redis.Bytes(con.Do("BLOB.GET", "go/blob"))
		if err != nil {
			return err
		}
		if string(back) != string(data) {
			return fmt.Errorf("BLOB.GET gave %d bytes, not the %d written", len(back), len(data))
		}
		part, err := redis.Bytes(con.Do("BLOB.GETRANGE", "go/blob", 65530, 65545))
		if err != nil {
			return err
		}
		if err := expect("BLOB.GETRANGE", string(part), string(data[65530:65546])); err != nil {
			return err
		}
		n, err := redis.Int(con.Do("BLOB.DEL", "go/blob"))
		if err != nil {
			return err
		}
		if err := expect("BLOB.DEL", n, 1); err != nil {
			return err
		}
		gone, err := con.Do("BLOB.GET", "go/blob")
		return expect("BLOB.GET after BLOB.DEL", gone, nil)
	}())

	if failed {
		os.Exit(1)
	}
}
