package cph

import (
	"context"
	"sort"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// PhoneStatusValid reports whether status is one of the phone statuses of 5.3.1.
func PhoneStatusValid(status int) bool {
	switch status {
	case 1, 2, 3, 4, 6, 7, 8, -5, -6, -7, -8, -9:
		return true
	}
	return false
}

// adbPort is the port adbd listens on inside every phone.
const adbPort = 5555

// ListPhones pages a project's phones, newest first, with the total before paging.
func (s *Service) ListPhones(ctx context.Context, p *store.PhoneListParams) ([]api.Phone, int, error) {
	rows, total, err := s.st.PhoneList(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	servers := map[string]*store.Server{}
	out := make([]api.Phone, len(rows))
	for i := range rows {
		srv, err := s.serverOf(ctx, servers, &rows[i])
		if err != nil {
			return nil, 0, err
		}
		out[i] = s.phoneView(&rows[i], srv)
	}
	return out, total, nil
}

// GetPhone is a phone's detail (5.3.2) with its access entries; CPS.0005 when the project has no
// such phone.
func (s *Service) GetPhone(ctx context.Context, projectID, id string) (*api.PhoneDetail, error) {
	ph, err := s.st.PhoneGet(ctx, projectID, id)
	if err != nil {
		return nil, notFound(err, CPS0005)
	}
	srv, err := s.st.ServerGet(ctx, projectID, ph.ServerID)
	if err != nil {
		return nil, err
	}
	host, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return nil, err
	}
	ports, err := s.st.PortListByPhones(ctx, []string{ph.ID})
	if err != nil {
		return nil, err
	}
	v := s.phoneView(ph, srv)
	d := &api.PhoneDetail{
		PhoneName: v.PhoneName, ServerID: v.ServerID, PhoneID: v.PhoneID, ImageID: v.ImageID,
		ImageVersion: v.ImageVersion, VNCEnable: v.VNCEnable, PhoneModelName: v.PhoneModelName,
		Status: v.Status, AccessInfos: accessInfos(ph, srv, host, ports), Property: ph.Property,
		Metadata: v.Metadata, IMEI: v.IMEI, Type: v.Type, TrafficType: v.TrafficType,
		VolumeMode: v.VolumeMode, AvailabilityZone: v.AvailabilityZone, HasEncrypt: v.HasEncrypt,
		CreateTime: v.CreateTime, UpdateTime: v.UpdateTime,
	}
	if d.Property == "" {
		d.Property = "{}"
	}
	if ph.VolumeSize > 0 {
		d.PhoneDataVolume = &api.PhoneVolume{VolumeType: ph.VolumeType, VolumeSize: ph.VolumeSize}
	}
	return d, nil
}

// RenamePhone changes a phone's name (5.3.9).
func (s *Service) RenamePhone(ctx context.Context, projectID, id, name string) error {
	if !ValidPhoneName(name) {
		return CPS0025.Err()
	}
	err := s.st.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: projectID, ID: id, Name: &name})
	return notFound(err, CPS0005)
}

// accessInfos lists a phone's ways in: the adb endpoint first, then each forwarded port in the
// order of the purchase. A port not open to the Internet shows an empty public_ip (table 5-106).
func accessInfos(ph *store.Phone, srv *store.Server, h *store.Host, ports []store.PortAllocation) []api.PhoneAccessInfo {
	listen := map[string]store.Port{"adb": {Name: "adb", ListenPort: adbPort}}
	order := map[string]int{"adb": -1}
	for i, p := range srv.Ports {
		listen[p.Name], order[p.Name] = p, i
	}
	sort.SliceStable(ports, func(i, j int) bool { return order[ports[i].Name] < order[ports[j].Name] })
	out := make([]api.PhoneAccessInfo, 0, len(ports))
	for _, pa := range ports {
		lp, ok := listen[pa.Name]
		if !ok {
			continue
		}
		public := ""
		if lp.InternetAccessible {
			public = h.PublicIP
		}
		out = append(out, api.PhoneAccessInfo{
			Type: pa.Name, DeviceIP: ph.PhoneIP, PhoneIP: ph.PhoneIP, ListenPort: lp.ListenPort,
			AccessIP: public, PublicIP: public, IntranetIP: h.ServerIP, ServerIP: h.ServerIP,
			AccessPort: pa.Port,
		})
	}
	return out
}

func (s *Service) serverOf(ctx context.Context, cache map[string]*store.Server, ph *store.Phone) (*store.Server, error) {
	if srv, ok := cache[ph.ServerID]; ok {
		return srv, nil
	}
	srv, err := s.st.ServerGet(ctx, ph.ProjectID, ph.ServerID)
	if err != nil {
		return nil, err
	}
	cache[ph.ServerID] = srv
	return srv, nil
}

func (s *Service) phoneView(ph *store.Phone, srv *store.Server) api.Phone {
	return api.Phone{
		PhoneName: ph.Name, ServerID: ph.ServerID, PhoneID: ph.ID, PhoneModelName: ph.PhoneModelName,
		ImageID: ph.ImageID, ImageVersion: s.imageVersion(ph.ImageID), VNCEnable: "false",
		Status: ph.Status, Type: ph.Type, IMEI: ph.IMEI, TrafficType: ph.TrafficType,
		VolumeMode: ph.VolumeMode, AvailabilityZone: srv.AvailabilityZone,
		Metadata:   api.PhoneMetadata{OrderID: srv.OrderID, ProductID: srv.ProductID},
		CreateTime: api.FormatTime(ph.CreatedAt), UpdateTime: api.FormatTime(ph.UpdatedAt),
	}
}
