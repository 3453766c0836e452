package cph

import (
	"context"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// ServerStatusValid reports whether status is one of the server statuses of 5.1.1.
func ServerStatusValid(status int) bool {
	switch status {
	case 0, 1, 2, 3, 4, 5, 8, 10, 11, 12, 13:
		return true
	}
	return false
}

// ListServers pages a project's servers, newest first, with the total before paging.
func (s *Service) ListServers(ctx context.Context, p *store.ServerListParams) ([]api.Server, int, error) {
	rows, total, err := s.st.ServerList(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	out := make([]api.Server, len(rows))
	hosts := map[string]*store.Host{}
	for i := range rows {
		h, err := s.hostOf(ctx, hosts, &rows[i])
		if err != nil {
			return nil, 0, err
		}
		out[i] = s.serverView(&rows[i], h)
	}
	return out, total, nil
}

// GetServer is a server's detail (5.1.2); CPS.0015 when the project has no such server.
func (s *Service) GetServer(ctx context.Context, projectID, id string) (*api.ServerDetail, error) {
	srv, err := s.st.ServerGet(ctx, projectID, id)
	if err != nil {
		return nil, notFound(err, CPS0015)
	}
	h, err := s.hostOf(ctx, map[string]*store.Host{}, srv)
	if err != nil {
		return nil, err
	}
	d := &api.ServerDetail{Server: s.serverView(srv, h), Volumes: []api.Volume{}, SecurityGroups: []string{}}
	d.BandWidths = []api.Bandwidth{}
	if srv.BandwidthID != "" {
		bw, err := s.st.BandwidthGet(ctx, projectID, srv.BandwidthID)
		if err != nil {
			return nil, err
		}
		d.BandWidths = append(d.BandWidths, bandwidthView(bw))
	}
	if srv.PhoneVolumeSize > 0 {
		d.Volumes = append(d.Volumes, api.Volume{
			VolumeName: srv.Name + "-data", VolumeID: derivedID(srv.ID, "data-volume"),
			VolumeSize: srv.PhoneVolumeSize, VolumeType: srv.PhoneVolumeType,
			CreateTime: api.FormatTime(srv.CreatedAt), UpdateTime: api.FormatTime(srv.UpdatedAt),
		})
	}
	if srv.ShareVolumeSize > 0 {
		d.ShareVolumeInfo = &api.ShareVolumeInfo{VolumeType: srv.ShareVolumeType, Size: srv.ShareVolumeSize, Version: 1}
	}
	return d, nil
}

// RenameServer changes a server's name (5.1.13).
func (s *Service) RenameServer(ctx context.Context, projectID, id, name string) error {
	if !ValidServerName(name) {
		return CPS0087.Err()
	}
	err := s.st.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: projectID, ID: id, Name: &name})
	return notFound(err, CPS0015)
}

func (s *Service) hostOf(ctx context.Context, cache map[string]*store.Host, srv *store.Server) (*store.Host, error) {
	if h, ok := cache[srv.ID]; ok {
		return h, nil
	}
	h, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return nil, notFound(err, CPS0015)
	}
	cache[srv.ID] = h
	return h, nil
}

func (s *Service) serverView(srv *store.Server, h *store.Host) api.Server {
	return api.Server{
		ServerName: srv.Name, AvailabilityZone: srv.AvailabilityZone, ServerID: srv.ID,
		ServerModelName: srv.ServerModelName, PhoneModelName: srv.PhoneModelName,
		KeypairName: srv.KeypairName, Status: srv.Status, VPCID: srv.VPCID,
		CIDR: srv.VPCCIDR, VPCCIDR: srv.VPCCIDR, SubnetID: srv.SubnetID, SubnetCIDR: srv.SubnetCIDR,
		Addresses: []api.Address{{
			IntranetIP: h.ServerIP, ServerIP: h.ServerIP, AccessIP: h.PublicIP, PublicIP: h.PublicIP,
		}},
		ResourceProjectID: srv.ProjectID,
		Metadata: api.ServerMetadata{
			ProductID: srv.ProductID, OrderID: srv.OrderID, ChargingMode: srv.ChargingMode,
		},
		NetworkVersion: srv.NetworkVersion, EnterpriseProjectID: srv.EnterpriseProjectID,
		CreateTime: api.FormatTime(srv.CreatedAt), UpdateTime: api.FormatTime(srv.UpdatedAt),
	}
}
