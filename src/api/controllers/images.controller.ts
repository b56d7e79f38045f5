import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ImageRepository } from '../../db/repositories/image.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { checkImageMetadataQuota, checkPropertyNames, mergedProperties } from '../images/image-metadata';
import { ImageSource, imageSourceFor } from '../images/image-source';
import { nextLinkPageSize, pageOfImages, parseImageListQuery } from '../images/list-query';
import { checkImageMetadataVersion, checkImagesVersion } from '../images/versions';
import { checkMetaMatchesUri, parseMetadataBody, parseMetaItemBody } from '../servers/subresource-requests';
import { nextLinks } from '../views/format';
import { imageDetail, imageIndexItem } from '../views/image.view';

/**
 * `/images` (nova/api/openstack/compute/images.py): the Compute API's proxy to the image service,
 * up to 2.35 — list, detail, show, delete. Nova has no policy rules for it: the image service's
 * own visibility and ownership rules apply (see ImageSource).
 */
@Controller('v2.1/images')
export class ImagesController {
  constructor(private readonly images: ImageRepository, @Inject(NOVA_CONF) private readonly conf: NovaConf) {}

  private source(ctx: RequestContext): ImageSource {
    return imageSourceFor(this.conf, this.images, ctx);
  }

  @Get()
  index(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    return this.list(ctx, query, false);
  }

  @Get('detail')
  detail(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    return this.list(ctx, query, true);
  }

  private async list(ctx: RequestContext, query: Query, detailed: boolean) {
    checkImagesVersion(ctx.version);
    const q = parseImageListQuery(query);
    const source = this.source(ctx);
    const page = pageOfImages(await source.list(q.filters), q);
    const body: Record<string, unknown> = {
      images: page.map((i) => (detailed ? imageDetail(ctx, i, source.glanceUrl) : imageIndexItem(ctx, i, source.glanceUrl))),
    };
    const maxLimit = this.conf.api.max_limit;
    const pageSize = nextLinkPageSize(q, maxLimit, page.length);
    if (pageSize !== undefined) {
      const links = nextLinks(ctx, detailed ? 'images/detail' : 'images', query, pageSize, page.length, page[page.length - 1]?.id);
      if (links) body.images_links = links;
    }
    return body;
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    checkImagesVersion(ctx.version);
    const source = this.source(ctx);
    return { image: imageDetail(ctx, await source.get(id), source.glanceUrl) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    checkImagesVersion(ctx.version);
    await this.source(ctx).delete(id);
  }
}

/**
 * `/images/{id}/metadata` (nova/api/openstack/compute/image_metadata.py), up to 2.38: the
 * image's custom properties. Changes replace the whole property set (purge_props) after the
 * metadata_items limit check (403 `Image metadata limit exceeded`).
 */
@Controller('v2.1/images/:image_id/metadata')
export class ImageMetadataController {
  constructor(private readonly images: ImageRepository, private readonly quotas: QuotaRepository, @Inject(NOVA_CONF) private readonly conf: NovaConf) {}

  private source(ctx: RequestContext): ImageSource {
    return imageSourceFor(this.conf, this.images, ctx);
  }

  private async checkQuota(ctx: RequestContext, items: number): Promise<void> {
    if (items === 0) return;
    const limits = await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId);
    checkImageMetadataQuota(items, limits.metadata_items);
  }

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string) {
    checkImageMetadataVersion(ctx.version);
    const image = await this.source(ctx).get(imageId);
    return { metadata: { ...image.properties } };
  }

  @Get(':key')
  async show(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string, @Param('key') key: string) {
    checkImageMetadataVersion(ctx.version);
    const image = await this.source(ctx).get(imageId);
    if (!Object.prototype.hasOwnProperty.call(image.properties, key)) throw new NotFound('The resource could not be found.');
    return { meta: { [key]: image.properties[key] } };
  }

  @Post()
  async create(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string, @Body() body: unknown) {
    checkImageMetadataVersion(ctx.version);
    const metadata = parseMetadataBody(body);
    const source = this.source(ctx);
    const image = await source.get(imageId);
    const merged = mergedProperties(image.properties, metadata);
    await this.checkQuota(ctx, Object.keys(merged).length);
    checkPropertyNames(image.id, Object.keys(metadata));
    const updated = await source.setProperties(image, merged);
    return { metadata: { ...updated.properties } };
  }

  @Put()
  async updateAll(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string, @Body() body: unknown) {
    checkImageMetadataVersion(ctx.version);
    const metadata = parseMetadataBody(body);
    const source = this.source(ctx);
    const image = await source.get(imageId);
    await this.checkQuota(ctx, Object.keys(metadata).length);
    checkPropertyNames(image.id, Object.keys(metadata));
    await source.setProperties(image, metadata);
    return { metadata };
  }

  @Put(':key')
  async updateItem(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string, @Param('key') key: string, @Body() body: unknown) {
    checkImageMetadataVersion(ctx.version);
    const meta = parseMetaItemBody(body);
    checkMetaMatchesUri(meta, key);
    const source = this.source(ctx);
    const image = await source.get(imageId);
    const merged = mergedProperties(image.properties, meta);
    await this.checkQuota(ctx, Object.keys(merged).length);
    checkPropertyNames(image.id, [key]);
    await source.setProperties(image, merged);
    return { meta };
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('image_id') imageId: string, @Param('key') key: string): Promise<void> {
    checkImageMetadataVersion(ctx.version);
    const source = this.source(ctx);
    const image = await source.get(imageId);
    if (!Object.prototype.hasOwnProperty.call(image.properties, key)) throw new NotFound('Invalid metadata key');
    const rest = mergedProperties(image.properties, {});
    delete rest[key];
    await source.setProperties(image, rest);
  }
}
