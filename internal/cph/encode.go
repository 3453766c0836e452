package cph

import (
	"context"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// Encode server statuses of 5.6.1.
const (
	EncodeRunning    = 1
	EncodeAbnormal   = 2
	EncodeRestarting = 3
	EncodeCreating   = 0
)

// EncodeServerStatusValid reports whether status is one a client may filter by (table 5-191).
func EncodeServerStatusValid(status int) bool {
	switch status {
	case 0, 1, 2, 3, 4, 5, 100, 1014:
		return true
	}
	return false
}

// EncodeServerFilter selects encode servers (5.6.1).
type EncodeServerFilter struct {
	ProjectID string
	ServerID  string
	Type      *int
	Status    *int
	Page      store.Page
}

// ListEncodeServers lists the encode servers of a project: each server has one, of type 0 (a
// server-level encoder) sharing the server's address, whose access entries are the adb ports of
// the server's phones.
func (s *Service) ListEncodeServers(ctx context.Context, f *EncodeServerFilter) ([]api.EncodeServer, error) {
	if f.Type != nil && *f.Type != 0 {
		return []api.EncodeServer{}, nil
	}
	servers, _, err := s.st.ServerList(ctx, &store.ServerListParams{ProjectID: f.ProjectID, ServerID: f.ServerID})
	if err != nil {
		return nil, err
	}
	all := make([]api.EncodeServer, 0, len(servers))
	for i := range servers {
		srv := &servers[i]
		status := encodeStatus(srv)
		if f.Status != nil && *f.Status != status {
			continue
		}
		h, err := s.st.HostGetByServer(ctx, srv.ID)
		if err != nil {
			return nil, err
		}
		all = append(all, api.EncodeServer{
			EncodeServerName: srv.Name + "-encode", EncodeServerID: derivedID(srv.ID, "encode-server"),
			EncodeServerIP: h.ServerIP, ServerID: srv.ID, KeypairName: srv.KeypairName,
			Type: 0, Status: status, AccessInfos: []api.EncodeServerAccessInfo{{
				ListenPort: adbPort, AccessPort: adbPort, Type: "adb",
				IntranetIP: h.ServerIP, ServerIP: h.ServerIP, AccessIP: h.PublicIP, PublicIP: h.PublicIP,
			}},
		})
	}
	return PageOf(all, f.Page), nil
}

// encodeStatus follows the server: creating while it is, restarting while its own restart
// (5.6.2) runs, running once the server runs, abnormal otherwise.
func encodeStatus(srv *store.Server) int {
	switch {
	case srv.Status == 0 || srv.Status == 1 || srv.Status == 3 || srv.Status == 4:
		return EncodeCreating
	case srv.EncodeServerStatus == EncodeRestarting:
		return EncodeRestarting
	case srv.Status == store.ServerRunning:
		return EncodeRunning
	}
	return EncodeAbnormal
}

// PageOf is the page p of a list held in memory.
func PageOf[T any](all []T, p store.Page) []T {
	if p.Offset >= len(all) {
		return all[:0]
	}
	all = all[p.Offset:]
	if p.Limit > 0 && p.Limit < len(all) {
		all = all[:p.Limit]
	}
	return all
}
