/** [image_service]: the built-in image endpoint (a Glance v2 subset) of the api role. */
import { portOpt, section, strOpt } from '../option-types';

export const imageServiceSection = section(
  'The built-in image service: when [glance] api_servers is unset, the api role serves the part of the ' +
  'Image API v2 that the openstack CLI and compute hosts use, storing image files under image_dir.', {
    listen: strOpt({ default: '0.0.0.0', help: 'Address the built-in image service listens on.' }),
    listen_port: portOpt({ default: 9292, help: 'Port of the built-in image service; 0 picks any free port.' }),
    image_dir: strOpt({
      default: '$state_path/images',
      help: 'Directory of the image files (one file per image, named by its id; uploads are written to a ' +
        'temporary file in the same directory, then renamed).',
    }),
  });
