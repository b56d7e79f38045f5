import { Controller, Get, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { NotFound } from '../../common/errors';
import { fmt, MAX_VERSION, MIN_VERSION } from '../microversion/api-version';

const V21_UPDATED = '2013-07-23T11:33:21Z';
const V20_UPDATED = '2011-01-21T11:33:21Z';

function base(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

function v21Document(req: FastifyRequest) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: fmt(MAX_VERSION),
    min_version: fmt(MIN_VERSION),
    updated: V21_UPDATED,
    links: [
      { rel: 'self', href: `${base(req)}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

/** Version discovery, as keystoneauth, novaclient and openstacksdk read it (no token needed). */
@Controller()
export class VersionsController {
  @Get()
  root(@Req() req: FastifyRequest) {
    return {
      versions: [
        { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: V20_UPDATED, links: [{ rel: 'self', href: `${base(req)}/v2/` }] },
        { id: 'v2.1', status: 'CURRENT', version: fmt(MAX_VERSION), min_version: fmt(MIN_VERSION), updated: V21_UPDATED, links: [{ rel: 'self', href: `${base(req)}/v2.1/` }] },
      ],
    };
  }

  @Get('v2.1')
  v21(@Req() req: FastifyRequest) {
    return { version: v21Document(req) };
  }

  @Get('v2.1/versions/:id')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    if (id !== 'v2.1') throw new NotFound('The resource could not be found.');
    return { version: v21Document(req) };
  }
}
