package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

// SimulatedModel is the model name the simulated provider answers as.
const SimulatedModel = "copydesk-simulated"

// singleModel is a model service with one provider and one model, without
// routing: the simulated provider in --simulate mode.
type singleModel struct {
	provider  copydesk.Provider
	model     string
	simulated bool
}

func (s singleModel) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	req := call.Request
	req.Model = s.model
	resp, err := s.provider.Stream(ctx, req, onDelta)
	if err != nil {
		return nil, err
	}
	return &copydesk.ModelResult{
		Response: resp, Provider: s.provider.Name(),
		Model: cmp.Or(resp.Model, s.model), Simulated: s.simulated,
	}, nil
}

// startSimulator serves the simulated provider on a loopback port and
// returns a model service that reaches it through the real OpenAI adapter,
// so the whole path (SDK, streaming, usage) is exercised.
func startSimulator(opts providertest.Options) (copydesk.ModelService, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start simulated provider: %w", err)
	}
	fake := providertest.NewServer(opts)
	hs := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed; calls will fail visibly
		}
	}()
	client, err := openai.New(openai.Config{
		Name:    "simulated",
		APIKey:  "simulated",
		BaseURL: "http://" + ln.Addr().String() + "/v1/",
	})
	if err != nil {
		hs.Close()
		return nil, nil, err
	}
	return singleModel{provider: client, model: SimulatedModel, simulated: true}, hs.Close, nil
}
