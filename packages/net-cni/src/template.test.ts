import { describe, expect, it } from 'vitest';
import { podCidrData, renderTemplate } from './template.js';

/** containerd's documented example template (docs/cri/config.md), unchanged. */
const containerdTemplate = `{
  "cniVersion": "1.0.0",
  "name": "containerd-net",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [
          {{- range $i, $range := .PodCIDRRanges}}{{if $i}},
            {{end}}[
            {
              "subnet": "{{$range}}"
            }
          ]
          {{- end}}
        ],
        "routes": [
          {{- range $i, $route := .Routes}}{{if $i}},
            {{end}}{
            "dst": "{{$route}}"
          }
          {{- end}}
        ]
      }
    }
  ]
}`;

describe('renderTemplate', () => {
  it("renders containerd's example for a dual-stack node into valid JSON", () => {
    const out = JSON.parse(renderTemplate(containerdTemplate, podCidrData(['10.244.1.0/24', 'fd00:10:244:1::/64']))) as {
      plugins: { ipam: { ranges: { subnet: string }[][]; routes: { dst: string }[] } }[];
    };
    expect(out.plugins[0]!.ipam.ranges).toEqual([[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]]);
    expect(out.plugins[0]!.ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
  });

  it('fills {{.PodCIDR}} with the first CIDR and supports else and {{.}}', () => {
    const data = podCidrData(['10.244.1.0/24']);
    expect(renderTemplate('"{{.PodCIDR}}" {{range .Routes}}<{{.}}>{{end}} {{if .Missing}}x{{else}}y{{end}}', { ...data, Missing: '' })).toBe(
      '"10.244.1.0/24" <0.0.0.0/0> y',
    );
  });

  it('trims whitespace next to {{- and -}}', () => {
    expect(renderTemplate('a  \n {{- .PodCIDR -}} \n  b', { PodCIDR: 'x' })).toBe('axb');
  });

  it('refuses unknown fields and unsupported actions by name', () => {
    expect(() => renderTemplate('{{.PodCidr}}', podCidrData(['10.0.0.0/24']))).toThrow(/no field .PodCidr/);
    expect(() => renderTemplate('{{printf "%s" .PodCIDR}}', podCidrData(['10.0.0.0/24']))).toThrow(/unsupported action \{\{printf/);
    expect(() => renderTemplate('{{range .Routes}}x', podCidrData(['10.0.0.0/24']))).toThrow(/missing \{\{end\}\}/);
  });
});
