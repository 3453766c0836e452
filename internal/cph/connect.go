package cph

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/ticket"
)

// MaxConnectPhones is how many phones one batch-connection call may name (5.3.3).
const MaxConnectPhones = 10

// clientTypes are the streaming SDKs of table 5-111.
var clientTypes = map[string]bool{"ANDROID": true, "WINDOWS": true, "H5_MOBILE": true, "H5_PC": true, "IOS": true}

// ticketSecretName names the ticket key in the store, shared by every replica and every
// streaming gateway that verifies tickets.
const ticketSecretName = "connection-ticket"

// TicketSecret is the key connection tickets are signed with, created on first use.
func (s *Service) TicketSecret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	return s.st.SecretGetOrCreate(ctx, ticketSecretName, fresh)
}

// BatchConnection answers batch-connection (5.3.3): for every running phone its access address
// and a ticket, signed over phone, session, client type and time, that a streaming gateway
// verifies with internal/ticket; per-phone errors for unknown (CPS.0005) and unreachable phones
// (CPS.0018: not running). The address is the phone's adb access entry, the one port OpenCPH
// publishes for every phone.
func (s *Service) BatchConnection(ctx context.Context, projectID string, req *api.ConnectionRequest) (*api.ConnectionResponse, error) {
	if len(req.PhoneIDs) == 0 {
		return nil, CPS0009.Err()
	}
	if len(req.PhoneIDs) > MaxConnectPhones {
		return nil, CPS0359.Err()
	}
	if !clientTypes[req.ClientType] {
		return nil, CPS0358.Err()
	}
	secret, err := s.TicketSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("ticket secret: %w", err)
	}
	resp := &api.ConnectionResponse{ConnectInfos: []api.ConnectInfo{}, Errors: []api.ConnectErrorInfo{}}
	for _, id := range req.PhoneIDs {
		info, err := s.connectInfo(ctx, projectID, id, req.ClientType, secret)
		var ce *Error
		switch {
		case errors.As(err, &ce):
			resp.Errors = append(resp.Errors, api.ConnectErrorInfo{PhoneID: id, ErrorCode: string(ce.Code), ErrorMsg: ce.Msg})
		case err != nil:
			return nil, err
		default:
			resp.ConnectInfos = append(resp.ConnectInfos, api.ConnectInfo{PhoneID: id, AccessInfo: *info})
		}
	}
	return resp, nil
}

func (s *Service) connectInfo(ctx context.Context, projectID, phoneID, clientType string, secret []byte) (*api.ConnectAccessInfo, error) {
	if !isHexID(phoneID) {
		return nil, CPS0004.Err()
	}
	ph, err := s.st.PhoneGet(ctx, projectID, phoneID)
	if err != nil {
		return nil, notFound(err, CPS0005)
	}
	if ph.Status != store.PhoneRunning {
		return nil, CPS0018.Errf("the phone is not running")
	}
	host, err := s.st.HostGetByServer(ctx, ph.ServerID)
	if err != nil {
		return nil, err
	}
	ports, err := s.st.PortListByPhones(ctx, []string{ph.ID})
	if err != nil {
		return nil, err
	}
	port := 0
	for _, p := range ports {
		if p.Name == "adb" {
			port = p.Port
		}
	}
	if port == 0 {
		return nil, CPS0018.Err()
	}
	g := ticket.Grant{PhoneID: ph.ID, SessionID: store.NewID(), ClientType: clientType, Timestamp: time.Now().UnixMilli()}
	return &api.ConnectAccessInfo{
		AccessIP: host.PublicIP, IntranetIP: host.ServerIP, AccessPort: port,
		SessionID: g.SessionID, Timestamp: strconv.FormatInt(g.Timestamp, 10), Ticket: ticket.Sign(secret, g),
	}, nil
}
