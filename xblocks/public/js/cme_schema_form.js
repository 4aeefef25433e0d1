/* A structured editor drawn from a pydantic JSON schema: nested fieldsets for objects, lists
 * with add / remove / move, a select for every choice, the kind of a question switching its
 * fields. The schema and all labels come from the server (translated); no rule lives here:
 * the server validates and answers with the field at fault, which is marked here. */
(function (global) {
  'use strict';

  var counter = 0;

  function SchemaForm(container, config, value, onChange) {
    this.container = container;
    this.config = config;
    this.defs = config.schema.$defs || {};
    this.value = value;
    this.onChange = onChange;
    this.render();
  }

  SchemaForm.prototype.resolve = function (schema) {
    while (schema && schema.$ref) { schema = this.defs[schema.$ref.split('/').pop()]; }
    return schema || {};
  };

  /* Optional[X] arrives as anyOf [X, null]: edit X, an empty input meaning null. */
  SchemaForm.prototype.unwrap = function (schema) {
    schema = this.resolve(schema);
    if (schema.anyOf) {
      var nullable = schema.anyOf.some(function (s) { return s.type === 'null'; });
      var real = schema.anyOf.filter(function (s) { return s.type !== 'null'; });
      var types = real.map(function (s) { return s.type; }).sort().join(' ');
      if (types === 'number string') {  // a pydantic Decimal: a number on the form
        real = real.filter(function (s) { return s.type === 'number'; });
      }
      if (real.length === 1) {
        var inner = this.resolve(real[0]);
        return Object.assign({}, inner, {nullable: nullable, default: schema.default});
      }
    }
    return schema;
  };

  /* A field's label: the one for its place (`visits.findings`) before the one for its name. */
  SchemaForm.prototype.label = function (name, path) {
    var place = (path || '').replace(/\[\d+\]/g, '');
    return this.config.fields[place] || this.config.fields[name] || name;
  };

  /* Codes the server suggests for a text field at this place: a datalist the input offers. */
  SchemaForm.prototype.suggest = function (input, path) {
    var offered = (this.config.suggest || {})[path.replace(/\[\d+\]/g, '')];
    if (!offered || !offered.length) { return null; }
    var list = document.createElement('datalist');
    list.id = 'cme-sf-list-' + (++counter);
    offered.forEach(function (entry) {
      var option = document.createElement('option');
      option.value = entry.value;
      option.label = entry.label;
      option.textContent = entry.label;
      list.appendChild(option);
    });
    input.setAttribute('list', list.id);
    return list;
  };

  SchemaForm.prototype.valueLabel = function (value) {
    return this.config.values[value] || value;
  };

  /* A new, empty value for a schema: defaults where given, required fields blank. */
  SchemaForm.prototype.blank = function (schema) {
    var self = this;
    schema = this.unwrap(schema);
    if (schema.default !== undefined && schema.default !== null) {
      return JSON.parse(JSON.stringify(schema.default));
    }
    if (schema.oneOf) { return this.blank(schema.oneOf[0]); }
    if (schema.const !== undefined) { return schema.const; }
    if (schema.enum) { return schema.enum[0]; }
    if (schema.nullable) { return null; }
    switch (schema.type) {
      case 'object': {
        var obj = {};
        Object.keys(schema.properties || {}).forEach(function (name) {
          var prop = schema.properties[name];
          if ((schema.required || []).indexOf(name) >= 0 || self.resolve(prop).const !== undefined) {
            obj[name] = self.blank(prop);
          }
        });
        return obj;
      }
      case 'array': return [];
      case 'boolean': return false;
      case 'integer': case 'number': return 0;
      default: return '';
    }
  };

  SchemaForm.prototype.render = function () {
    var focusPath = document.activeElement && document.activeElement.dataset ?
      document.activeElement.dataset.path : null;
    this.container.innerHTML = '';
    this.container.appendChild(this.object(this.config.schema, this.value, ''));
    if (focusPath) {
      var again = this.container.querySelector('[data-path="' + focusPath + '"]');
      if (again) { again.focus(); }
    }
  };

  SchemaForm.prototype.changed = function (structural) {
    if (structural) { this.render(); }
    this.onChange(this.value);
  };

  SchemaForm.prototype.object = function (schema, value, path, legend) {
    var self = this;
    schema = this.resolve(schema);
    var box = document.createElement(legend ? 'fieldset' : 'div');
    if (path) { box.dataset.path = path; }  // a rule across its fields marks the group
    if (legend) {
      var title = document.createElement('legend');
      title.textContent = legend;
      box.appendChild(title);
    }
    Object.keys(schema.properties || {}).forEach(function (name) {
      var prop = self.resolve(schema.properties[name]);
      if (prop.const !== undefined) { return; }  // a question's kind: chosen above its fields
      var childPath = path ? path + '.' + name : name;
      box.appendChild(self.field(name, schema.properties[name], value, childPath));
    });
    return box;
  };

  SchemaForm.prototype.field = function (name, rawSchema, holder, path) {
    var self = this;
    var schema = this.unwrap(rawSchema);
    var value = holder[name];
    var items = schema.items ? this.resolve(schema.items) : null;
    if (schema.type === 'object' && !schema.properties) {
      return this.mapping(name, schema, holder, path);
    }
    if (schema.type === 'object' && schema.nullable) {
      return this.optionalObject(name, schema, holder, path);
    }
    if (schema.type === 'object') {
      if (value === undefined || value === null) { holder[name] = value = this.blank(schema); }
      return this.object(schema, value, path, this.label(name, path));
    }
    if (schema.type === 'array' && items && (items.type === 'object' || items.oneOf)) {
      if (!Array.isArray(value)) { holder[name] = value = []; }
      return this.list(name, schema, value, path);
    }
    var id = 'cme-sf-' + (++counter);
    var wrap = document.createElement('div');
    wrap.className = 'cme-sf-field';
    var label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = this.label(name, path);
    var input;
    var offered = null;
    if (schema.type === 'array' && items && items.enum) {
      // A few codes (tiers, titles): one checkbox each.
      var group = document.createElement('fieldset');
      var legend = document.createElement('legend');
      legend.textContent = this.label(name, path);
      group.appendChild(legend);
      if (!Array.isArray(value)) { holder[name] = value = []; }
      items.enum.forEach(function (code) {
        var choice = document.createElement('label');
        choice.className = 'cme-choice';
        var box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = value.indexOf(code) >= 0;
        box.dataset.path = path + '.' + code;
        box.addEventListener('change', function () {
          var list = holder[name].filter(function (c) { return c !== code; });
          if (box.checked) { list.push(code); }
          holder[name] = items.enum.filter(function (c) { return list.indexOf(c) >= 0; });
          self.changed(false);
        });
        choice.appendChild(box);
        var text = document.createElement('span');
        text.textContent = self.valueLabel(code);
        choice.appendChild(text);
        group.appendChild(choice);
      });
      group.dataset.path = path;
      return group;
    }
    if (schema.type === 'array') {  // a list of words or lines: one per line
      input = document.createElement('textarea');
      input.rows = 3;
      input.value = (value || []).join('\n');
      input.addEventListener('input', function () {
        holder[name] = input.value.split('\n').map(function (s) { return s.trim(); })
          .filter(function (s) { return s; });
        self.changed(false);
      });
    } else if (schema.enum) {
      input = document.createElement('select');
      schema.enum.forEach(function (code) {
        var option = document.createElement('option');
        option.value = code;
        option.textContent = self.valueLabel(code);
        option.selected = code === value;
        input.appendChild(option);
      });
      input.addEventListener('change', function () { holder[name] = input.value; self.changed(false); });
    } else if (schema.type === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = !!value;
      input.addEventListener('change', function () { holder[name] = input.checked; self.changed(false); });
      wrap.className += ' cme-choice';
      wrap.appendChild(input);
      wrap.appendChild(label);
      input.id = id;
      input.dataset.path = path;
      return wrap;
    } else if (schema.type === 'integer' || schema.type === 'number') {
      input = document.createElement('input');
      input.type = 'number';
      input.step = schema.type === 'integer' ? '1' : 'any';
      input.value = value === null || value === undefined ? '' : value;
      input.addEventListener('input', function () {
        if (input.value === '') {
          holder[name] = schema.nullable ? null : 0;
        } else {
          holder[name] = schema.type === 'integer' ? parseInt(input.value, 10) : parseFloat(input.value);
        }
        self.changed(false);
      });
    } else if (schema.format === 'date') {
      input = document.createElement('input');
      input.type = 'date';
      input.value = value || '';
      input.addEventListener('input', function () {
        holder[name] = input.value === '' && schema.nullable ? null : input.value;
        self.changed(false);
      });
    } else {
      var long = this.config.long.indexOf(name) >= 0;
      input = document.createElement(long ? 'textarea' : 'input');
      if (long) { input.rows = 4; } else { input.type = 'text'; offered = this.suggest(input, path); }
      input.value = value === null || value === undefined ? '' : value;
      input.addEventListener('input', function () {
        holder[name] = input.value === '' && schema.nullable ? null : input.value;
        self.changed(false);
      });
    }
    input.id = id;
    input.dataset.path = path;
    wrap.appendChild(label);
    wrap.appendChild(input);
    if (offered) { wrap.appendChild(offered); }
    return wrap;
  };

  /* An optional group of fields (e.g. a conversion of hours): a checkbox fills it in or
   * leaves it out (null). */
  SchemaForm.prototype.optionalObject = function (name, schema, holder, path) {
    var self = this;
    var inner = Object.assign({}, schema, {nullable: false, default: undefined});
    var wrap = document.createElement('div');
    var id = 'cme-sf-' + (++counter);
    var toggle = document.createElement('div');
    toggle.className = 'cme-sf-field cme-choice';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.id = id;
    box.checked = holder[name] !== null && holder[name] !== undefined;
    box.dataset.path = path + '.__present';
    var label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = this.config.text.include + ': ' + this.label(name, path);
    toggle.appendChild(box);
    toggle.appendChild(label);
    wrap.appendChild(toggle);
    box.addEventListener('change', function () {
      holder[name] = box.checked ? self.blank(inner) : null;
      self.changed(true);
    });
    if (box.checked) { wrap.appendChild(this.object(inner, holder[name], path, this.label(name, path))); }
    return wrap;
  };

  /* A mapping of free keys (a name in other languages): one "key: value" per line. */
  SchemaForm.prototype.mapping = function (name, schema, holder, path) {
    var self = this;
    var id = 'cme-sf-' + (++counter);
    var wrap = document.createElement('div');
    wrap.className = 'cme-sf-field';
    var label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = this.label(name, path) + ' (' + this.config.text.pairs + ')';
    var known = (this.config.suggest || {})[path.replace(/\[\d+\]/g, '')];
    if (known) {  // the names the server knows, e.g. a rule set's measures
      label.textContent += ': ' + known.map(function (entry) { return entry.value; }).join(', ');
    }
    var input = document.createElement('textarea');
    input.rows = 2;
    input.id = id;
    input.dataset.path = path;
    var current = holder[name] || {};
    input.value = Object.keys(current).map(function (key) {
      return key + ': ' + current[key];
    }).join('\n');
    var values = this.resolve(schema.additionalProperties ||
      (schema.patternProperties && schema.patternProperties[Object.keys(schema.patternProperties)[0]]) || {});
    var numeric = values.type === 'number' || values.type === 'integer';
    input.addEventListener('input', function () {
      var next = {};
      input.value.split('\n').forEach(function (line) {
        var at = line.indexOf(':');
        if (at > 0) {
          var text = line.slice(at + 1).trim();
          // A number stays a number (a measured value); anything else goes as typed, and the
          // server says what is wrong with it.
          next[line.slice(0, at).trim()] = numeric && text !== '' && !isNaN(Number(text)) ? Number(text) : text;
        }
      });
      holder[name] = next;
      self.changed(false);
    });
    wrap.appendChild(label);
    wrap.appendChild(input);
    return wrap;
  };

  SchemaForm.prototype.list = function (name, schema, list, path) {
    var self = this;
    var itemSchema = this.resolve(schema.items);
    var box = document.createElement('fieldset');
    box.className = 'cme-sf-list';
    box.dataset.path = path;
    var legend = document.createElement('legend');
    legend.textContent = this.label(name, path);
    box.appendChild(legend);
    var ol = document.createElement('ol');
    var itemName = (this.config.item_names || {})[name] || self.config.text.item;
    list.forEach(function (item, index) {
      var li = document.createElement('li');
      li.className = 'cme-card';
      var itemPath = path + '[' + index + ']';
      var title = (item && (item.title || item.label || item.text || item.id)) ||
        itemName + ' ' + (index + 1);
      var schemaOfItem = itemSchema;
      if (itemSchema.oneOf) {  // a question: its kind decides its fields
        var key = itemSchema.discriminator.propertyName;
        var kinds = Object.keys(itemSchema.discriminator.mapping);
        var kindId = 'cme-sf-' + (++counter);
        var kindLabel = document.createElement('label');
        kindLabel.htmlFor = kindId;
        kindLabel.textContent = self.label(key);
        var select = document.createElement('select');
        select.id = kindId;
        select.dataset.path = itemPath + '.' + key;
        kinds.forEach(function (kind) {
          var option = document.createElement('option');
          option.value = kind;
          option.textContent = self.valueLabel(kind);
          option.selected = kind === item[key];
          select.appendChild(option);
        });
        select.addEventListener('change', function () {
          var fresh = self.blank({$ref: itemSchema.discriminator.mapping[select.value]});
          ['id', 'prompt', 'commentary', 'options'].forEach(function (keep) {
            if (item[keep] !== undefined && fresh[keep] !== undefined) { fresh[keep] = item[keep]; }
          });
          fresh[key] = select.value;
          list[index] = fresh;
          self.changed(true);
        });
        li.appendChild(kindLabel);
        li.appendChild(select);
        schemaOfItem = {$ref: itemSchema.discriminator.mapping[item[key]] || itemSchema.oneOf[0].$ref};
      }
      li.appendChild(self.object(schemaOfItem, item, itemPath, title));
      var actions = document.createElement('div');
      actions.className = 'cme-actions';
      [['up', -1], ['down', 1]].forEach(function (move) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'cme-secondary';
        button.textContent = self.config.text[move[0]];
        button.setAttribute('aria-label', self.config.text[move[0]] + ': ' + title);
        button.disabled = (move[1] < 0 && index === 0) || (move[1] > 0 && index === list.length - 1);
        button.addEventListener('click', function () {
          var other = index + move[1];
          var moved = list.splice(index, 1)[0];
          list.splice(other, 0, moved);
          self.changed(true);
        });
        actions.appendChild(button);
      });
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'cme-secondary';
      remove.textContent = self.config.text.remove;
      remove.setAttribute('aria-label', self.config.text.remove + ': ' + title);
      remove.addEventListener('click', function () { list.splice(index, 1); self.changed(true); });
      actions.appendChild(remove);
      li.appendChild(actions);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    var add = document.createElement('button');
    add.type = 'button';
    add.textContent = this.config.text.add + ': ' + this.label(name, path);
    add.addEventListener('click', function () {
      list.push(self.blank(itemSchema.oneOf ? itemSchema.oneOf[0] : itemSchema));
      self.changed(true);
      var added = box.querySelectorAll(':scope > ol > li');
      var first = added.length && added[added.length - 1].querySelector('input, select, textarea');
      if (first) { first.focus(); }
    });
    box.appendChild(add);
    return box;
  };

  /* Mark the fields the server named (paths like stages[2].questions[0].single_choice.prompt;
   * a question's kind in the path is dropped to find the input). */
  SchemaForm.prototype.mark = function (problems) {
    var kinds = this.config.values;
    Array.prototype.forEach.call(this.container.querySelectorAll('[aria-invalid]'), function (el) {
      el.removeAttribute('aria-invalid');
    });
    var self = this;
    problems.forEach(function (problem) {
      if (!problem.field) { return; }
      // "Scenario: findings[0].label": the part before ": " names the source, not a field.
      var path = problem.field.replace(/^[^.[]*: /, '').split('.').filter(function (part) {
        return !(part in kinds) || part.indexOf('[') >= 0;
      }).join('.');
      // From the field up to its first ancestor the form shows; a path with no form field
      // (a line of the XML, a source's name) marks nothing.
      while (path) {
        var el = self.container.querySelector('[data-path="' + global.CSS.escape(path) + '"]');
        if (el) { el.setAttribute('aria-invalid', 'true'); return; }
        var parent = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
        if (parent === path) { return; }
        path = parent;
      }
    });
  };

  global.CmeSchemaForm = SchemaForm;
}(window));
