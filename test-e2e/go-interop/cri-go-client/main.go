// Command cri-go-client is the Go side of criod's interop suite: a CRI client on grpc-go that
// dials criod's socket the way kubelet and crictl do, and passes protobuf bytes that the
// TypeScript test encodes and decodes with the repo's generated types (Debian ships no Go CRI
// package, so this program never knows the messages).
//
// Usage: cri-go-client <mode> <socket-path>
//
//	path            target is the socket path, dialed by a custom unix dialer (kubelet and
//	                crictl 1.26-1.30): grpc-go sends the path as the HTTP/2 :authority
//	path-localhost  the same with grpc.WithAuthority("localhost") (kubelet >= 1.31)
//	unix            target unix://<socket-path>, dialed by grpc-go itself
//
// Commands come on stdin, one a line, each starting with a tag the caller chooses; answers are
// lines on stdout starting with the same tag. Commands run concurrently.
//
//	<tag> call <full-method> <hex-request>    -> <tag> ok <hex-response> | <tag> err <code> <message>
//	<tag> stream <full-method> <hex-request>  -> <tag> open, <tag> msg <hex> per message,
//	                                             then <tag> end <code> <message>
//	<tag> cancel                              cancels the stream opened as <tag>
//
// It exits when stdin closes.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// rawCodec passes the bytes of a message through untouched, in both directions.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec cannot marshal %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec cannot unmarshal into %T", v)
	}
	*b = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "raw" }

// unixDialer is the dialer kubelet's GetAddressAndDialer hands to grpc-go.
func unixDialer(ctx context.Context, addr string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, "unix", addr)
}

func dial(mode, socket string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}))}
	target := socket
	switch mode {
	case "path":
		opts = append(opts, grpc.WithContextDialer(unixDialer))
	case "path-localhost":
		opts = append(opts, grpc.WithContextDialer(unixDialer), grpc.WithAuthority("localhost"))
	case "unix":
		target = "unix://" + socket
	default:
		return nil, fmt.Errorf("unknown mode %q (path, path-localhost or unix)", mode)
	}
	return grpc.Dial(target, opts...)
}

type client struct {
	conn    *grpc.ClientConn
	outMu   sync.Mutex
	mu      sync.Mutex
	streams map[string]context.CancelFunc
}

func (c *client) out(tag, format string, args ...interface{}) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	fmt.Printf("%s %s\n", tag, fmt.Sprintf(format, args...))
}

// fail answers an error as its gRPC code number and message, on one line.
func (c *client) fail(tag, kind string, err error) {
	st := status.Convert(err)
	msg := strings.ReplaceAll(st.Message(), "\n", " ")
	c.out(tag, "%s %d %s", kind, int(st.Code()), msg)
}

func (c *client) call(tag, method string, req []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res []byte
	if err := c.conn.Invoke(ctx, method, &req, &res); err != nil {
		c.fail(tag, "err", err)
		return
	}
	c.out(tag, "ok %s", hex.EncodeToString(res))
}

// openStream registers the stream's cancel under its tag before anything runs, so a cancel or
// the end of stdin always reaches it.
func (c *client) openStream(tag string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.streams[tag] = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		delete(c.streams, tag)
		c.mu.Unlock()
		cancel()
	}
}

func (c *client) stream(ctx context.Context, tag, method string, req []byte) {
	cs, err := c.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		c.fail(tag, "end", err)
		return
	}
	// io.EOF from SendMsg means the stream is already over; RecvMsg then has its status.
	if err := cs.SendMsg(&req); err != nil && err != io.EOF {
		c.fail(tag, "end", err)
		return
	}
	if err := cs.CloseSend(); err != nil {
		c.fail(tag, "end", err)
		return
	}
	c.out(tag, "open")
	for {
		var msg []byte
		if err := cs.RecvMsg(&msg); err != nil {
			if err == io.EOF {
				c.out(tag, "end 0 ")
			} else {
				c.fail(tag, "end", err)
			}
			return
		}
		c.out(tag, "msg %s", hex.EncodeToString(msg))
	}
}

func (c *client) cancel(tag string) {
	c.mu.Lock()
	cancel := c.streams[tag]
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cri-go-client <path|path-localhost|unix> <socket-path>")
		os.Exit(2)
	}
	conn, err := dial(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer conn.Close()
	c := &client{conn: conn, streams: map[string]context.CancelFunc{}}

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var running sync.WaitGroup
	for in.Scan() {
		// An empty request message is zero bytes, so its hex field may be absent.
		f := strings.Fields(in.Text())
		if len(f) < 2 {
			continue
		}
		tag, cmd := f[0], f[1]
		if cmd == "cancel" {
			c.cancel(tag)
			continue
		}
		if (cmd != "call" && cmd != "stream") || len(f) < 3 {
			c.out(tag, "err %d bad command %q", 3, in.Text())
			continue
		}
		req := []byte{}
		if len(f) > 3 {
			if req, err = hex.DecodeString(f[3]); err != nil {
				c.out(tag, "err %d bad hex: %v", 3, err)
				continue
			}
		}
		running.Add(1)
		if cmd == "call" {
			go func(tag, method string, req []byte) {
				defer running.Done()
				c.call(tag, method, req)
			}(tag, f[2], req)
		} else {
			ctx, done := c.openStream(tag)
			go func(tag, method string, req []byte) {
				defer running.Done()
				defer done()
				c.stream(ctx, tag, method, req)
			}(tag, f[2], req)
		}
	}
	// stdin closed: end open streams, let answers in flight finish.
	c.mu.Lock()
	for _, cancel := range c.streams {
		cancel()
	}
	c.mu.Unlock()
	running.Wait()
}
