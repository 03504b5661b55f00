// Proxy: a loopback TCP proxy a test cuts and restores, to take a peer (PostgreSQL, an SMTP
// server, a webhook receiver) away from the program under test and give it back.
package amendstest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections from its own loopback address to a target. Cut takes the
// target away as a crash of it would look to a client: every open connection is closed and new
// ones are refused (nothing listens on the address). Restore listens on the same address again.
// It is safe for concurrent use.
type Proxy struct {
	// Addr is the proxy's address, host:port; it does not change across Cut and Restore.
	Addr   string
	target string
	Conns  atomic.Int64 // connections accepted so far

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	done  bool
}

// NewProxy starts a proxy to target (host:port) that lives as long as the test.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		p.done = true
		p.mu.Unlock()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// ProxyURL returns a proxy to the host of a URL (postgres://…, smtp://…, http://…) and the
// URL with its host replaced by the proxy's address.
func ProxyURL(t testing.TB, raw string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("proxy %s: %v", raw, err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr
	return p, u.String()
}

// Up reports whether the proxy is forwarding.
func (p *Proxy) Up() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ln != nil
}

// Cut closes every forwarded connection and stops listening, so that new connections are
// refused. Cutting a cut proxy does nothing.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore listens on the proxy's address again. Restoring a proxy that is up does nothing.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	up := p.ln != nil || p.done
	p.mu.Unlock()
	if up {
		return
	}
	// The address was ours a moment ago; another process could take it in between, which
	// would be reported here rather than hide as a strange failure later.
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.Addr, err)
	}
	p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Cut
			}
			p.Conns.Add(1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(ln, c)
			}()
		}
	}()
}

// forward copies between client c, accepted on ln, and a new connection to the target.
func (p *Proxy) forward(ln net.Listener, c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln != ln { // cut while dialling
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var once sync.WaitGroup
	once.Add(2)
	pipe := func(dst, src net.Conn) {
		defer once.Done()
		_, err := io.Copy(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			// A reset on one side ends the other too.
			dst.Close()
			src.Close()
			return
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	go pipe(up, c)
	go pipe(c, up)
	once.Wait()
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}
