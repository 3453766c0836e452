package cph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/opencph/opencph/internal/store"
)

// errNoAccess refuses an SSH login or forward without saying which part was wrong.
var errNoAccess = errors.New("no adb access")

// ServerKey returns the public key of the keypair attached to a server (5.1.4 keypair_name,
// 5.5.1 open-access): the key that may open adb tunnels to the server's phones.
func (s *Service) ServerKey(ctx context.Context, serverID string) (string, error) {
	srv, err := s.st.ServerFind(ctx, serverID)
	if errors.Is(err, store.ErrNotFound) || err == nil && srv.KeypairName == "" {
		return "", errNoAccess
	}
	if err != nil {
		return "", err
	}
	kp, err := s.st.KeypairGet(ctx, srv.ProjectID, srv.KeypairName)
	if errors.Is(err, store.ErrNotFound) {
		return "", errNoAccess
	}
	if err != nil {
		return "", err
	}
	return kp.PublicKey, nil
}

// ADBEndpoint maps a destination an SSH client of a server asked to forward to the adb endpoint
// of one of its phones. A client may name a phone by its adb access entry (server_ip or
// public_ip with the access_port of GET phones/{id}) or by its own phone_ip and port 5555, as
// Huawei's documentation does.
func (s *Service) ADBEndpoint(ctx context.Context, serverID, host string, port int) (string, error) {
	srv, err := s.st.ServerFind(ctx, serverID)
	if err != nil {
		return "", errNoAccess
	}
	h, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return "", errNoAccess
	}
	phones, _, err := s.st.PhoneList(ctx, &store.PhoneListParams{ProjectID: srv.ProjectID, ServerID: srv.ID})
	if err != nil {
		return "", err
	}
	ids := make([]string, len(phones))
	for i := range phones {
		ids[i] = phones[i].ID
	}
	ports, err := s.st.PortListByPhones(ctx, ids)
	if err != nil {
		return "", err
	}
	adbPorts := map[string]int{}
	for _, p := range ports {
		if p.Name == "adb" {
			adbPorts[p.PhoneID] = p.Port
		}
	}
	for _, ph := range phones {
		byEntry := (host == h.ServerIP || host == h.PublicIP) && port == adbPorts[ph.ID]
		byPhoneIP := ph.PhoneIP != "" && host == ph.PhoneIP && port == adbPort
		if !byEntry && !byPhoneIP {
			continue
		}
		info, err := s.rt.Phone(ctx, ph.ID)
		if err != nil {
			return "", fmt.Errorf("phone %s: %w", ph.ID, err)
		}
		return info.ADBAddr, nil
	}
	return "", fmt.Errorf("%s is not an adb endpoint of server %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), serverID, errNoAccess)
}
