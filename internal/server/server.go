// Package server is OpenCPH's HTTP layer: the route table, authentication and authorization of
// every call, and the handlers that translate between the wire and the domain in internal/cph.
// Handlers return a response.Response and never write to the ResponseWriter themselves.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/iam"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// Config is what the HTTP layer serves.
type Config struct {
	CPH *cph.Service
	IAM *iam.Service
	// Ready reports whether the process can serve (database reachable); nil means always.
	Ready func(ctx context.Context) error
	// Registry receives the HTTP metrics and is served at /metrics; nil makes a private one.
	Registry *prometheus.Registry
}

// Server holds the handlers' dependencies.
type Server struct {
	cph   *cph.Service
	iam   *iam.Service
	ready func(ctx context.Context) error
	reg   *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New builds the HTTP layer.
func New(cfg Config) *Server {
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{
		cph: cfg.CPH, iam: cfg.IAM, ready: cfg.Ready, reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cph_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cph_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route", "method"}),
	}
	reg.MustRegister(s.requests, s.duration)
	return s
}

// Handler is the whole HTTP surface: the CPH API, the IAM endpoints, health and metrics.
func (s *Server) Handler() http.Handler {
	routes := newRouteSet()
	for _, ep := range s.endpoints() {
		routes.add(ep.Method, ep.Path, s.api(ep))
	}
	for _, rt := range s.iam.Routes() {
		// IAM routes authenticate themselves: the token endpoint has no caller yet.
		routes.add(rt.Method, rt.Pattern, rt.Handler)
	}
	mux := http.NewServeMux()
	for _, pattern := range routes.order {
		mux.Handle(pattern, s.instrument(pattern, s.dispatch(routes.byPattern[pattern])))
	}
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok\n"))
	}))
	mux.Handle("GET /readyz", http.HandlerFunc(s.readyz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", s.fallback())
	return withRequestID(mux)
}

// fallback serves what the main mux matched nowhere: the fallback endpoints, in a mux of their
// own because their patterns overlap the table's, and otherwise APIGW.0101.
func (s *Server) fallback() http.Handler {
	routes := newRouteSet()
	for _, ep := range s.fallbackEndpoints() {
		routes.add(ep.Method, ep.Path, s.api(ep))
	}
	mux := http.NewServeMux()
	for _, pattern := range routes.order {
		mux.Handle(pattern, s.instrument(pattern, s.dispatch(routes.byPattern[pattern])))
	}
	mux.Handle("/", s.instrument("unknown", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.write(w, r, response.SmartError(cph.APIGW0101.Err()))
	})))
	return mux
}

// routeSet groups handlers by path pattern, so that one mux entry serves every method of a path
// and a wrong method answers in the API's error format rather than the mux's plain text.
type routeSet struct {
	order     []string
	byPattern map[string]map[string]http.Handler
}

func newRouteSet() *routeSet { return &routeSet{byPattern: map[string]map[string]http.Handler{}} }

func (rs *routeSet) add(method, pattern string, h http.Handler) {
	if rs.byPattern[pattern] == nil {
		rs.byPattern[pattern] = map[string]http.Handler{}
		rs.order = append(rs.order, pattern)
	}
	rs.byPattern[pattern][method] = h
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ready\n"))
}

// withRequestID gives every request an id, in X-Request-Id of the response and in the incoming
// headers and context for handlers and the IAM endpoints to repeat in their bodies.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := store.NewID()
		w.Header().Set("X-Request-Id", id)
		r.Header.Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(request.WithID(r.Context(), id)))
	})
}

// dispatch picks the handler of the request's method.
func (s *Server) dispatch(methods map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := methods[r.Method]
		if !ok {
			e := cph.APIGW0101.Errf("method %s is not allowed here", r.Method)
			e.Status = http.StatusMethodNotAllowed
			s.write(w, r, response.SmartError(e))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// api serves one endpoint of the route table.
func (s *Server) api(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.write(w, r, s.serve(r, ep)) })
}

// serve runs the checks every API call passes (body limit, authentication, project access and the
// route's action) and then the handler.
func (s *Server) serve(r *http.Request, ep endpoint) response.Response {
	ctx, body, err := request.ReadBody(r)
	if err != nil {
		return response.SmartError(err)
	}
	r = r.WithContext(ctx)
	p, err := s.iam.Authenticate(r, body)
	if err != nil {
		return response.SmartError(err)
	}
	if err := s.iam.Authorize(ctx, p, r.PathValue("project_id"), ep.action(body)); err != nil {
		return response.SmartError(err)
	}
	return ep.Handler(s, r.WithContext(context.WithValue(ctx, principalKey{}, p)))
}

type principalKey struct{}

// principal is the authenticated caller of a request that serve let through, for handlers whose
// rules are per user (the sync-commands quota).
func principal(r *http.Request) *iam.Principal {
	p, _ := r.Context().Value(principalKey{}).(*iam.Principal)
	return p
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, resp response.Response) {
	defer func() {
		if v := recover(); v != nil {
			slog.ErrorContext(r.Context(), "panic rendering response", "panic", v)
		}
	}()
	if err := resp.Render(w, r, request.ID(r.Context())); err != nil {
		slog.ErrorContext(r.Context(), "writing response", "err", err)
	}
}

// instrument counts and times requests by route and recovers a handler's panic into a 500.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				slog.ErrorContext(r.Context(), "handler panic", "panic", v, "path", r.URL.Path)
				if !sw.wrote {
					s.write(sw, r, response.SmartError(cph.CPS0003.Err()))
				}
			}
			s.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			s.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
			slog.DebugContext(r.Context(), "request", "request_id", request.ID(r.Context()),
				"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.status, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
