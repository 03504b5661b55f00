package lru

import (
	"fmt"
	"sync"
	"testing"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string, int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("a = %d, %v", v, ok)
	}
	c.Put("c", 3) // b is the least recently used now
	if _, ok := c.Get("b"); ok {
		t.Error("b survived eviction")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Errorf("%s = %d, %v", k, v, ok)
		}
	}
	c.Put("a", 10)
	if v, _ := c.Get("a"); v != 10 || c.Len() != 2 {
		t.Errorf("update: a = %d, len %d", v, c.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New[int, string](16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Put(i%32, fmt.Sprint(i))
				c.Get((i + w) % 32)
			}
		}(w)
	}
	wg.Wait()
	if c.Len() != 16 {
		t.Errorf("len %d, want 16", c.Len())
	}
}
