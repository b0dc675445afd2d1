// go-redis v5 (gopkg.in/redis.v5) against jupiter: the same checks as the redigo program, with
// go-redis's own Pipeline and SCAN iterator.
// Usage: goredis -addr 127.0.0.1:PORT. Prints one JSON line per check; exits 1 if any failed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"gopkg.in/redis.v5"
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

	client := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 100})
	defer client.Close()

	report("PING hash=sample/hashkey answers PONG", func() error {
		cmd := redis.NewStatusCmd("PING", "hash=sample/hashkey")
		client.Process(cmd)
		v, err := cmd.Result()
		if err != nil {
			return err
		}
		return expect("PING", v, "PONG")
	}())

	report("SET/GET with hash=somekey", func() error {
		set := redis.NewStatusCmd("SET", "hello", "world", "hash=somekey")
		client.Process(set)
		if v, err := set.Result(); err != nil || v != "OK" {
			return fmt.Errorf("SET: %v %v", v, err)
		}
		get := redis.NewStringCmd("GET", "hello", "hash=somekey")
		client.Process(get)
		v, err := get.Result()
		if err != nil {
			return err
		}
		return expect("GET", v, "world")
	}())

	report("SET/GET without hash=", func() error {
		if err := client.Set("plain:hello", "plain world", 0).Err(); err != nil {
			return err
		}
		v, err := client.Get("plain:hello").Result()
		if err != nil {
			return err
		}
		if err := expect("GET", v, "plain world"); err != nil {
			return err
		}
		if _, err := client.Get("plain:missing").Result(); err != redis.Nil {
			return fmt.Errorf("GET of a missing key: want redis.Nil, got %v", err)
		}
		return nil
	}())

	report("MSET hash=somekey then SCAN 0 MATCH key* hash=somekey returns cursor 0 and the three keys", func() error {
		mset := redis.NewStatusCmd("MSET", "key1", "val1", "key2", "val2", "key3", "val3", "hash=somekey")
		client.Process(mset)
		if err := mset.Err(); err != nil {
			return err
		}
		scan := redis.NewScanCmd(client.Process, "scan", 0, "match", "key*", "hash=somekey")
		client.Process(scan)
		keys, cursor, err := scan.Result()
		if err != nil {
			return err
		}
		sort.Strings(keys)
		if err := expect("cursor", cursor, 0); err != nil {
			return err
		}
		return expect("keys", strings.Join(keys, ","), "key1,key2,key3")
	}())

	report("Pipeline of 1,000 commands answers in order", func() error {
		pipe := client.Pipeline()
		defer pipe.Close()
		for i := 0; i < 500; i++ {
			pipe.Set(fmt.Sprintf("pipe:%d", i), fmt.Sprintf("value-%d", i), 0)
			pipe.Get(fmt.Sprintf("pipe:%d", i))
		}
		cmds, err := pipe.Exec()
		if err != nil {
			return err
		}
		if len(cmds) != 1000 {
			return fmt.Errorf("%d replies", len(cmds))
		}
		for i := 0; i < 500; i++ {
			if v := cmds[2*i].(*redis.StatusCmd).Val(); v != "OK" {
				return fmt.Errorf("reply %d: %q", 2*i, v)
			}
			if err := expect(fmt.Sprintf("reply %d", 2*i+1), cmds[2*i+1].(*redis.StringCmd).Val(), fmt.Sprintf("value-%d", i)); err != nil {
				return err
			}
		}
		return nil
	}())

	report("MGET across nodes returns values in request order, nil for a missing key", func() error {
		keys := []string{}
		want := []string{}
		for i := 0; i < 30; i++ {
			k := fmt.Sprintf("mget:%d", i)
			if err := client.Set(k, fmt.Sprintf("m%d", i), 0).Err(); err != nil {
				return err
			}
			keys = append(keys, k)
			want = append(want, fmt.Sprintf("m%d", i))
			if i == 14 {
				keys = append(keys, "mget:missing")
				want = append(want, "<nil>")
			}
		}
		values, err := client.MGet(keys...).Result()
		if err != nil {
			return err
		}
		got := make([]string, len(values))
		for i, v := range values {
			if v == nil {
				got[i] = "<nil>"
			} else {
				got[i] = v.(string)
			}
		}
		return expect("MGET", strings.Join(got, ","), strings.Join(want, ","))
	}())

	report("DEL across nodes answers the number of keys removed", func() error {
		keys := []string{"mget:missing"}
		for i := 0; i < 10; i++ {
			keys = append(keys, fmt.Sprintf("mget:%d", i))
		}
		n, err := client.Del(keys...).Result()
		if err != nil {
			return err
		}
		return expect("DEL", n, 10)
	}())

	report("64 goroutines sharing the pool: INCR totals and own keys read back", func() error {
		if err := client.Del("pool:counter").Err(); err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					if err := client.Incr("pool:counter").Err(); err != nil {
						errs <- err
						return
					}
				}
				k := fmt.Sprintf("pool:own:%d", g)
				if err := client.Set(k, g, 0).Err(); err != nil {
					errs <- err
					return
				}
				v, err := client.Get(k).Int64()
				if err != nil || v != int64(g) {
					errs <- fmt.Errorf("goroutine %d read %v %v", g, v, err)
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			return err
		}
		n, err := client.Get("pool:counter").Int64()
		if err != nil {
			return err
		}
		return expect("counter", n, 64*25)
	}())

	report("SCAN iterator over the whole cluster visits every key exactly once", func() error {
		want := map[string]bool{}
		pipe := client.Pipeline()
		for i := 0; i < 300; i++ {
			k := fmt.Sprintf("scan:%d", i)
			want[k] = true
			pipe.Set(k, i, 0)
		}
		if _, err := pipe.Exec(); err != nil {
			return err
		}
		pipe.Close()
		seen := map[string]int{}
		it := client.Scan(0, "scan:*", 50).Iterator()
		for it.Next() {
			seen[it.Val()]++
		}
		if err := it.Err(); err != nil {
			return err
		}
		for k, n := range seen {
			if n != 1 || !want[k] {
				return fmt.Errorf("key %s seen %d times", k, n)
			}
		}
		return expect("distinct keys", len(seen), len(want))
	}())

	if failed {
		os.Exit(1)
	}
}
