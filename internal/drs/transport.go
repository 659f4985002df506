package drs

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// bufferedBodies hands the HTTP client a request body of its own.
//
// smithy-go closes a request's body as soon as the response headers are
// back, while net/http may still be finishing the request: after the last
// byte it reads the body once more to check for excess, and smithy's
// closed body answers that read with io.EOF from WriteTo, which io.Copy
// reports as an error. The transport then closes the connection under the
// response being read: "use of closed network connection" in the middle of
// a large answer. It takes a fast peer (the emulator on loopback) to lose
// the race, but the SDK retries it as a connection error, so it would
// otherwise show as extra requests. DRS request bodies are small JSON, so
// a copy is cheap.
//
// BufferedBodies gives the same copy to the SDK client of another service
// (EC2, whose Query requests are small forms).
type bufferedBodies struct {
	next aws.HTTPClient
}

func (b bufferedBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.Do(r)
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("buffer request body: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(data))
	r2.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	r2.ContentLength = int64(len(data))
	return b.next.Do(r2)
}

// BufferedBodies wraps an SDK HTTP client (nil: the SDK's default) so that
// each request body is a copy of its own; see bufferedBodies for why.
func BufferedBodies(next aws.HTTPClient) aws.HTTPClient {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return bufferedBodies{next: next}
}
